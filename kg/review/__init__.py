"""Review: a person accepts, edits or rejects the machine's drafts (``kg review``).

- :mod:`kg.review.decisions`: decisions saved atomically under a lock, with who and when;
- :mod:`kg.review.app`: the local review page's routes, on ``kg serve``'s hardened server.
"""

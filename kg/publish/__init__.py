"""Publishing the built graph to a shared SPARQL server.

- :mod:`kg.publish.client`: the SPARQL 1.1 query, update and Graph Store requests;
- :mod:`kg.publish.push`: ``kg push`` (staging graph, verification, one swap);
- :mod:`kg.publish.bulk`: Virtuoso's bulk loader, for a server on this machine;
- :mod:`kg.publish.virtuoso`: a throwaway Virtuoso on loopback (``make virtuoso``, tests).
"""

"""The ``kg`` command: one module per group of commands, over the library.

:mod:`kg.cli.common` holds the group (:func:`main`), the error handling and the shared options;
importing each module below registers its commands.
"""

from kg.cli import graph, publish, query, sources, view  # noqa: F401  (registers the commands)
from kg.cli.common import main

__all__ = ["main"]

"""A small client of the SPARQL 1.1 protocols a push needs: query, update, Graph Store.

Standard library only (``urllib``): HTTP Digest and Basic authentication, as Virtuoso's
``/sparql-auth`` and ``/sparql-graph-crud-auth`` ask for; SPARQL results read as JSON;
every failure an :class:`PushError` that names the request and what the server said.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from kg.errors import KGError

__all__ = ["Endpoint", "PushError", "graph_store_url"]


class PushError(KGError):
    """A push cannot go on: the server refused, or what it holds is not what was sent.

    *answered* is False where no answer came (the server unreachable, or too slow): then
    the server may still be carrying the request out.
    """

    def __init__(self, message: str, answered: bool = True):
        super().__init__(message)
        self.answered = answered


def graph_store_url(endpoint: str) -> str:
    """The Graph Store Protocol URL beside a SPARQL endpoint, by Virtuoso's convention.

    >>> graph_store_url("http://127.0.0.1:8890/sparql-auth")
    'http://127.0.0.1:8890/sparql-graph-crud-auth'
    >>> graph_store_url("http://127.0.0.1:8890/sparql")
    'http://127.0.0.1:8890/sparql-graph-crud'
    """
    parts = urllib.parse.urlsplit(endpoint)
    path = parts.path.rstrip("/")
    if path.endswith("/sparql-auth"):
        path = path[: -len("/sparql-auth")] + "/sparql-graph-crud-auth"
    elif path.endswith("/sparql"):
        path = path[: -len("/sparql")] + "/sparql-graph-crud"
    else:
        raise PushError(f"{endpoint}: cannot tell its Graph Store Protocol URL; give it with --gsp")
    return urllib.parse.urlunsplit(parts._replace(path=path, query="", fragment=""))


@dataclass
class Endpoint:
    """A SPARQL endpoint (query and update) and its Graph Store, with credentials."""

    url: str
    gsp: str
    user: str | None = None
    password: str | None = None
    timeout: float = 600.0
    _opener: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name, value in (("--to", self.url), ("--gsp", self.gsp)):
            parts = urllib.parse.urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise PushError(f"{name} {value!r}: not an http(s) URL")
        handlers: list[Any] = []
        if self.user is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in (self.url, self.gsp):
                passwords.add_password(None, url, self.user, self.password or "")
            handlers = [
                urllib.request.HTTPDigestAuthHandler(passwords),
                urllib.request.HTTPBasicAuthHandler(passwords),
            ]
        self._opener = urllib.request.build_opener(*handlers)

    # -- the three protocols ---------------------------------------------------------

    def select(self, query: str) -> list[dict[str, dict[str, str]]]:
        """Run a SELECT; its rows as SPARQL JSON bindings."""
        body = self._send(
            self.url,
            urllib.parse.urlencode({"query": query}).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json",
            },
            what=f"query {_first_line(query)}",
        )
        try:
            return list(json.loads(body)["results"]["bindings"])
        except (ValueError, KeyError, TypeError):
            raise PushError(
                f"{self.url}: the answer to {_first_line(query)} is not SPARQL JSON results: "
                f"{body[:200]!r}"
            ) from None

    def count(self, query: str) -> int:
        """Run a SELECT of one number (``?n``)."""
        rows = self.select(query)
        try:
            return int(rows[0]["n"]["value"])
        except (IndexError, KeyError, ValueError):
            raise PushError(f"{self.url}: no count in the answer to {query!r}") from None

    def update(self, update: str, timeout: float | None = None) -> None:
        """Run a SPARQL 1.1 Update request (waiting *timeout* seconds, or the endpoint's)."""
        self._send(
            self.url,
            urllib.parse.urlencode({"update": update}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
            what=f"update {_first_line(update)}",
            timeout=timeout,
        )

    def post_triples(self, graph: str, ntriples: bytes) -> None:
        """Add N-Triples to *graph* (Graph Store Protocol POST: merge into the graph)."""
        url = f"{self.gsp}?{urllib.parse.urlencode({'graph': graph})}"
        self._send(
            url,
            ntriples,
            {"Content-Type": "application/n-triples"},
            what=f"POST of {len(ntriples):,} bytes to <{graph}>",
        )

    # -- plumbing --------------------------------------------------------------------

    def _send(
        self,
        url: str,
        data: bytes,
        headers: dict[str, str],
        what: str,
        timeout: float | None = None,
    ) -> str:
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=timeout or self.timeout) as response:
                return str(response.read().decode("utf-8", errors="replace"))
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read().decode("utf-8", errors="replace").split())[:300]
            hint = ""
            if exc.code in (401, 403):
                hint = " (check --user and the password variable; the user needs update rights)"
            status = f"HTTP {exc.code} {exc.reason}{hint}"
            raise PushError(f"{url}: {what}: {status}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PushError(f"{url}: {what}: no answer from the server: {reason}", False) from None


def _first_line(text: str) -> str:
    line = " ".join(text.split())
    return line[:80] + ("…" if len(line) > 80 else "")

"""A small client of the SPARQL 1.1 protocols a push needs: query, update, Graph Store.

Standard library only (``urllib``): HTTP Digest and Basic authentication, as Virtuoso's
``/sparql-auth`` and ``/sparql-graph-crud-auth`` ask for; SPARQL results read as JSON;
every failure an :class:`PushError` that names the request and what the server said.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from kg.errors import KGError

__all__ = ["Endpoint", "PushError", "graph_store_url", "redact"]


class PushError(KGError):
    """A push cannot go on: the server refused, or what it holds is not what was sent.

    *answered* is False where no answer came (the server unreachable, or too slow): then
    the server may still be carrying the request out.
    """

    def __init__(self, message: str, answered: bool = True):
        super().__init__(message)
        self.answered = answered


_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#]*)")


def redact(url: str) -> str:
    """*url* with the password in its user information hidden, for every message.

    >>> redact("http://dba:secret@127.0.0.1:1/sparql-auth")
    'http://dba:***@127.0.0.1:1/sparql-auth'
    >>> redact("http://127.0.0.1:1/sparql?query=a:b@c")
    'http://127.0.0.1:1/sparql?query=a:b@c'
    """
    match = _AUTHORITY.match(url)
    if match is None:
        return url
    userinfo, at, host = match.group(2).rpartition("@")
    if not at or ":" not in userinfo:
        return url
    authority = f"{userinfo.split(':', 1)[0]}:***@{host}"
    return url[: match.start(2)] + authority + url[match.end(2) :]


def _without_userinfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


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
        raise PushError(
            f"{redact(endpoint)}: cannot tell its Graph Store Protocol URL; give it with --gsp"
        )
    return urllib.parse.urlunsplit(parts._replace(path=path, query="", fragment=""))


@dataclass
class Endpoint:
    """A SPARQL endpoint (query and update) and its Graph Store, with credentials.

    Credentials in a URL (``http://user:password@host/…``) are taken as *user* and
    *password* where those are not given, and taken out of the URL: no request line and
    no message holds them.
    """

    url: str
    gsp: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 600.0
    #: The ``Server`` header of the last answer ("Virtuoso/07.20.3229 …"), or "".
    server: str = field(default="", repr=False)
    _opener: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name, value in (("--to", self.url), ("--gsp", self.gsp)):
            shown = redact(value)
            try:
                parts = urllib.parse.urlsplit(value)
                parts.port  # noqa: B018 - raises ValueError for a port that is not one
            except ValueError:
                raise PushError(
                    f"{name} {shown}: not a valid URL (look at its host and port)"
                ) from None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise PushError(f"{name} {shown}: not an http(s) URL")
            if parts.username is not None:
                user = urllib.parse.unquote(parts.username)
                if self.user is not None and self.user != user:
                    raise PushError(
                        f"{name} {shown} names the user {user!r} and --user {self.user!r}: give one"
                    )
                self.user = user
            if parts.password is not None:
                password = urllib.parse.unquote(parts.password)
                if self.password is not None and self.password != password:
                    raise PushError(
                        f"{name} {shown} holds a password and --password-env another: give "
                        "it once, in the variable"
                    )
                self.password = password
        self.url, self.gsp = _without_userinfo(self.url), _without_userinfo(self.gsp)
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
                self.server = response.headers.get("Server") or self.server
                return str(response.read().decode("utf-8", errors="replace"))
        except urllib.error.HTTPError as exc:
            self.server = exc.headers.get("Server") or self.server
            detail = " ".join(exc.read().decode("utf-8", errors="replace").split())[:300]
            hint = ""
            if exc.code in (401, 403):
                hint = " (check --user and the password variable; the user needs update rights)"
            status = f"HTTP {exc.code} {exc.reason}{hint}"
            raise PushError(f"{redact(url)}: {what}: {status}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            said = _no_answer(url, reason, timeout or self.timeout)
            raise PushError(f"{redact(url)}: {what}: {said}", False) from None
        except (http.client.HTTPException, ValueError) as exc:  # an answer that is not HTTP
            said = f"the server's answer is not HTTP ({type(exc).__name__})"
            raise PushError(f"{redact(url)}: {what}: {said}", False) from None


def _no_answer(url: str, reason: object, timeout: float) -> str:
    """Why no answer came from the server at *url*, in words."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    where = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if isinstance(reason, ConnectionRefusedError):
        return (
            f"no answer from the server: the server at {where} does not answer (connection "
            "refused: is it running, and on that port?)"
        )
    if isinstance(reason, socket.gaierror):
        return f"no answer from the server: cannot find the host {host!r} ({reason.strerror})"
    if isinstance(reason, TimeoutError):
        return f"no answer from the server at {where} within {timeout:g} s"
    return f"no answer from the server at {where}: {reason}"


def _first_line(text: str) -> str:
    line = " ".join(text.split())
    return line[:80] + ("…" if len(line) > 80 else "")

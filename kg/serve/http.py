"""HTTP/1.1 on a socket: h11 parses and frames, this module enforces limits and deadlines.

Why not the standard library's ``http.server``: it is documented as not meant for
production, and its parser accepts what RFC 9112 says to refuse (conflicting
``Content-Length``s, ``Transfer-Encoding`` ignored). Why not an ASGI server
(uvicorn, hypercorn): they answer every malformed request with 400 and have no
deadline for a request's head, so a slow client keeps a connection open without
end. h11 (python-hyper, MIT) is the strict, maintained HTTP/1.1 state machine
those servers are built on; this module gives it a socket, a connection cap,
and limits that each end in the status RFC 9110 names for them:

- request line over ``max_line`` bytes: 414; header fields over ``max_head``
  bytes or more than ``max_fields`` of them: 431; HTTP other than 1.0/1.1: 505;
- conflicting ``Content-Length``s, ``Content-Length`` with ``Transfer-Encoding``,
  or any other malformed head: 400; a transfer coding other than chunked: 501;
- a body over ``max_body`` bytes: 413; a request (head and body) not complete
  within ``request_timeout`` seconds of its first byte: 408;
- an idle connection is closed after ``idle_timeout`` seconds; beyond
  ``max_connections`` open connections a new one gets 503 and is closed, and
  beyond ``max_per_client`` from one address, 429.

Every error closes the connection, so unread bytes are never read as a request.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from kg.serve.messages import Answer, error

__all__ = ["Clients", "HttpLimits", "HttpServer", "Request"]


@dataclass(frozen=True)
class HttpLimits:
    """The limits of the HTTP layer (see the module's docstring for the statuses)."""

    max_line: int = 65_536  #: bytes of the request line
    max_head: int = 32_768  #: bytes of all header fields together
    max_fields: int = 100  #: header fields
    max_body: int = 1_000_000  #: bytes of a request body
    request_timeout: float = 30.0  #: seconds from a request's first byte to its last
    idle_timeout: float = 30.0  #: seconds a connection may wait for its next request
    max_connections: int = 128  #: connections open at once
    max_per_client: int = 16  #: connections one client address may have open (0: no limit)
    backlog: int = 1024  #: connections the kernel queues before they are accepted


@dataclass
class Request:
    """One request: method, target, headers (lower-case names), body and client address."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    client: str

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


class Clients:
    """How many things (connections, queries) each client address holds, against a limit
    (0: no limit)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.running: dict[str, int] = {}
        self.lock = threading.Lock()

    def enter(self, address: str) -> bool:
        with self.lock:
            if self.limit and self.running.get(address, 0) >= self.limit:
                return False
            self.running[address] = self.running.get(address, 0) + 1
            return True

    def leave(self, address: str) -> None:
        with self.lock:
            left = self.running.get(address, 0) - 1
            if left > 0:
                self.running[address] = left
            else:
                self.running.pop(address, None)


class _Close(Exception):
    """Close the connection without an answer (the client left, or was idle too long)."""


class _Fail(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.answer = error(status, message)


def _raw(answer: Answer) -> bytes:
    """An answer written by hand, for a head h11 could not parse (no request to answer)."""
    phrase = HTTPStatus(answer.status).phrase
    head = (
        f"HTTP/1.1 {answer.status} {phrase}\r\n"
        f"Content-Type: {answer.content_type}\r\n"
        f"Content-Length: {len(answer.body)}\r\n"
        "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in answer.headers.items())
        + "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + answer.body


def _linger(client: socket.socket) -> None:
    """Close our side and read what the client still sends (briefly), so that the
    answer is not lost to a reset when unread request bytes remain."""
    with contextlib.suppress(OSError):
        client.shutdown(socket.SHUT_WR)
        client.settimeout(0.5)
        for _ in range(16):
            if not client.recv(65_536):
                break


class HttpServer:
    """A threaded HTTP/1.1 server: one thread per connection, at most ``max_connections``."""

    def __init__(
        self,
        host: str,
        port: int,
        app: Callable[[Request], Answer],
        limits: HttpLimits = HttpLimits(),
        log: Callable[[str], None] | None = None,
    ):
        self.app = app
        self.limits = limits
        self.log = log
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server(
            (host, port), family=family, backlog=min(limits.backlog, socket.SOMAXCONN)
        )
        self.server_address = self.socket.getsockname()
        self.slots = threading.BoundedSemaphore(limits.max_connections)
        self.per_client = Clients(limits.max_per_client)
        self.stopping = threading.Event()

    # -- the listening socket --
    def serve_forever(self, poll_interval: float = 0.2) -> None:
        self.socket.settimeout(poll_interval)
        while not self.stopping.is_set():
            try:
                client, address = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                if self.stopping.is_set():
                    break
                time.sleep(0.01)  # e.g. out of file descriptors: let connections finish
                continue
            if not self.per_client.enter(address[0]):
                message = f"this address already has {self.limits.max_per_client} connections open"
                threading.Thread(
                    target=self._refuse, args=(client, 429, message), daemon=True
                ).start()
            elif self.slots.acquire(blocking=False):
                threading.Thread(
                    target=self._connection, args=(client, address[0]), daemon=True
                ).start()
            else:
                self.per_client.leave(address[0])
                message = "too many connections are open; try again shortly"
                threading.Thread(
                    target=self._refuse, args=(client, 503, message), daemon=True
                ).start()

    def shutdown(self) -> None:
        self.stopping.set()

    def server_close(self) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self.socket.close()

    def _refuse(self, client: socket.socket, status: int, message: str) -> None:
        answer = error(status, message)
        answer.headers["Retry-After"] = "1"
        with contextlib.suppress(OSError):
            client.settimeout(1.0)
            client.sendall(_raw(answer))
        _linger(client)
        with contextlib.suppress(OSError):
            client.close()

    # -- one connection --
    def _connection(self, client: socket.socket, address: str) -> None:
        import h11

        limits = self.limits
        conn = h11.Connection(
            h11.SERVER, max_incomplete_event_size=limits.max_line + limits.max_head + 4
        )
        try:
            with contextlib.suppress(OSError):
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while True:
                try:
                    request = self._read(client, conn, address)
                except _Fail as failure:
                    self._log(f"{address} - {failure.answer.status} {failure}")
                    self._write(client, conn, failure.answer, head_only=False, close=True)
                    _linger(client)
                    return
                answer = self.app(request)
                close = (
                    answer.status >= 400
                    or conn.their_state is not h11.DONE
                    or request.header("connection").lower() == "close"
                )
                self._log(f"{address} - {request.method} {request.target[:80]} {answer.status}")
                self._write(client, conn, answer, head_only=request.method == "HEAD", close=close)
                if close or conn.our_state is not h11.DONE:
                    _linger(client)
                    return
                try:
                    conn.start_next_cycle()
                except h11.ProtocolError:
                    return
        except (_Close, OSError):
            return
        finally:
            with contextlib.suppress(OSError):
                client.close()
            self.slots.release()
            self.per_client.leave(address)

    def _log(self, line: str) -> None:
        if self.log:
            self.log(line)

    def _receive(
        self, client: socket.socket, conn: object, deadline: float, started: bool
    ) -> bytes:
        left = deadline - time.monotonic()
        if left <= 0:
            if started:
                raise _Fail(408, "the request was not complete in time")
            raise _Close
        client.settimeout(left)
        try:
            return client.recv(65_536)
        except TimeoutError:
            if started:
                raise _Fail(408, "the request was not complete in time") from None
            raise _Close from None

    def _read(self, client: socket.socket, conn: object, address: str) -> Request:
        import h11

        assert isinstance(conn, h11.Connection)
        limits = self.limits
        deadline = time.monotonic() + limits.idle_timeout
        started = False
        first = bytearray()  # the first bytes of this request: is its line too long?
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                line_end = first.find(b"\n")
                if (line_end < 0 and len(first) > limits.max_line) or line_end > limits.max_line:
                    raise _Fail(414, f"the request line is over {limits.max_line} bytes") from None
                status = exc.error_status_hint
                if status == 431:
                    raise _Fail(
                        431, f"the header fields are over {limits.max_head} bytes"
                    ) from None
                raise _Fail(status, f"malformed request: {exc}") from None
            if event is h11.NEED_DATA:
                data = self._receive(client, conn, deadline, started)
                if not started and data:
                    started = True
                    deadline = time.monotonic() + limits.request_timeout
                if len(first) <= limits.max_line:
                    first += data[: limits.max_line + 2 - len(first)]
                conn.receive_data(data)
                continue
            if isinstance(event, h11.ConnectionClosed):
                raise _Close
            if isinstance(event, h11.Request):
                if not started:  # it came pipelined behind the last one
                    deadline = time.monotonic() + limits.request_timeout
                return self._request(client, conn, event, deadline, address)
            raise _Close  # pragma: no cover - h11 gives nothing else before a request

    def _request(
        self, client: socket.socket, conn: object, event: object, deadline: float, address: str
    ) -> Request:
        import h11

        assert isinstance(conn, h11.Connection) and isinstance(event, h11.Request)
        limits = self.limits
        if event.http_version not in (b"1.0", b"1.1"):
            raise _Fail(505, "this server speaks HTTP/1.1 (and 1.0) only")
        if len(event.target) + len(event.method) + 10 > limits.max_line:
            raise _Fail(414, f"the request line is over {limits.max_line} bytes")
        if len(event.headers) > limits.max_fields:
            raise _Fail(431, f"more than {limits.max_fields} header fields")
        if sum(len(name) + len(value) + 4 for name, value in event.headers) > limits.max_head:
            raise _Fail(431, f"the header fields are over {limits.max_head} bytes")
        headers: dict[str, str] = {}
        for name, value in event.headers:
            key = name.decode("ascii").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        if "content-length" in headers and "transfer-encoding" in headers:
            raise _Fail(400, "a request may have Content-Length or Transfer-Encoding, not both")
        length = headers.get("content-length")
        if length is not None and int(length) > limits.max_body:
            raise _Fail(413, f"the request body is over {limits.max_body} bytes")
        body = bytearray()
        while True:
            try:
                part = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise _Fail(exc.error_status_hint, f"malformed request body: {exc}") from None
            if part is h11.NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    client.sendall(
                        conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                    )
                data = self._receive(client, conn, deadline, True)
                conn.receive_data(data)
                continue
            if isinstance(part, h11.Data):
                body += part.data
                if len(body) > limits.max_body:
                    raise _Fail(413, f"the request body is over {limits.max_body} bytes")
                continue
            if isinstance(part, h11.EndOfMessage):
                break
            raise _Close  # the client closed the connection mid-body
        return Request(
            method=event.method.decode("ascii"),
            target=event.target.decode("ascii"),
            headers=headers,
            body=bytes(body),
            client=address,
        )

    def _write(
        self, client: socket.socket, conn: object, answer: Answer, *, head_only: bool, close: bool
    ) -> None:
        import h11

        assert isinstance(conn, h11.Connection)
        headers = [("Content-Type", answer.content_type)]
        if answer.status not in (204, 304) and answer.status >= 200:
            headers.append(("Content-Length", str(len(answer.body))))
        headers += [("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")]
        headers += list(answer.headers.items())
        if close:
            headers.append(("Connection", "close"))
        client.settimeout(self.limits.request_timeout)
        if conn.our_state is not h11.SEND_RESPONSE:  # no request was parsed: nothing to frame
            answer.headers.pop("Connection", None)
            client.sendall(_raw(answer))
            return
        try:
            data = conn.send(
                h11.Response(
                    status_code=answer.status,
                    headers=headers,
                    reason=HTTPStatus(answer.status).phrase.encode(),
                )
            )
            if not head_only and answer.body and answer.status not in (204, 304):
                data = (data or b"") + (conn.send(h11.Data(data=answer.body)) or b"")
            data = (data or b"") + (conn.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError as exc:  # pragma: no cover - a bug of ours, not the client's
            sys.stderr.write(f"kg serve: could not frame an answer: {exc}\n")
            raise _Close from None
        client.sendall(data)

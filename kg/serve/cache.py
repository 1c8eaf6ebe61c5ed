"""What keeps ``kg serve`` fast: the answers of the served build kept, and queries' costs measured.

- :class:`AnswerCache` keeps successful answers by the build that gave them, the query
  text, the ``Accept`` header and ``?format=``, within a memory budget (least recently
  used first out). A build is never changed once published, so an answer stays right for
  as long as its build is served; when the server moves to a newer build the older
  build's answers are dropped, and a key always names the build, so none can be served
  for another.
- :class:`CostBook` remembers how long each query's shape (its text without comments
  and with whitespace collapsed) took, so that the worker pool runs the queries measured
  expensive apart from the cheap ones (:mod:`kg.serve.workers`).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict

from kg.serve.messages import Answer

__all__ = ["AnswerCache", "CostBook", "cacheable", "shape"]

#: Functions whose value changes from one run to the next: such queries are never kept.
_VOLATILE = re.compile(r"(?<![\w:])(?:NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)
#: IRIs and strings stepped over; comments and runs of whitespace collapsed to one space.
_TOKENS = re.compile(
    r"(<[^<>\"{}|^`\\\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*')|#[^\n\r]*|\s+"
)


def cacheable(text: str) -> bool:
    """Whether the answer to *text* is the same every time on one build.

    >>> cacheable("SELECT * WHERE { ?s ?p ?o }"), cacheable("SELECT (NOW() AS ?t) {}")
    (True, False)
    """
    return _VOLATILE.search(text) is None


def shape(text: str) -> str:
    """*text* without comments, whitespace collapsed: the key a query's cost is kept by.

    >>> shape("SELECT ?s # 1\\nWHERE {  ?s ?p '# not a comment' }")
    "SELECT ?s WHERE { ?s ?p '# not a comment' }"
    """
    return " ".join(_TOKENS.sub(lambda m: m.group(1) or " ", text).split())


Key = tuple[str, str, str, str]  #: (build, query text, Accept, ?format=)


class AnswerCache:
    """Answers (status 200) by build, query text and format, within *max_bytes*.

    An answer larger than an eighth of the budget is not kept (it would push out many
    small ones); the least recently used answers go first when the budget is reached.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max(0, max_bytes)
        self.entry_max = self.max_bytes // 8
        self._entries: OrderedDict[Key, tuple[Answer, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._build: str | None = None  #: the build served (after a move): no other kept
        self.size = 0  #: bytes held (bodies, headers and keys)
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> Answer | None:
        """A copy of the answer kept for *key*, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
        answer = found[0]
        return Answer(answer.status, answer.content_type, answer.body, dict(answer.headers))

    def put(self, key: Key, answer: Answer) -> None:
        """Keep *answer* for *key* if it is a success and fits the budget."""
        if answer.status != 200:
            return
        size = (
            len(answer.body)
            + sum(len(k) + len(v) for k, v in answer.headers.items())
            + sum(len(part) for part in key)
            + 256  # the objects around them
        )
        if size > self.entry_max:
            return
        kept = Answer(answer.status, answer.content_type, answer.body, dict(answer.headers))
        with self._lock:
            if self._build is not None and key[0] != self._build:
                return  # answered by a worker of the older build as the server moved on
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._entries[key] = (kept, size)
            self.size += size
            while self.size > self.max_bytes and self._entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.size -= dropped

    def retain(self, build: str) -> None:
        """Drop every answer not of *build* (the server has moved to it)."""
        with self._lock:
            self._build = build
            for key in [k for k in self._entries if k[0] != build]:
                self.size -= self._entries.pop(key)[1]


class CostBook:
    """Seconds each query shape took to run, smoothed over its last runs; *limit* shapes,
    each kept by a digest (a few dozen bytes, however long the query)."""

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self._seconds: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def cost(self, text: str) -> float | None:
        """What *text* is expected to take, from its shape's past runs (None: never run)."""
        key = _digest(text)
        with self._lock:
            return self._seconds.get(key)

    def record(self, text: str, seconds: float) -> None:
        key = _digest(text)
        with self._lock:
            old = self._seconds.pop(key, None)
            self._seconds[key] = seconds if old is None else (old + seconds) / 2
            while len(self._seconds) > self.limit:
                self._seconds.popitem(last=False)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(shape(text).encode("utf-8", "surrogatepass"), digest_size=16).digest()

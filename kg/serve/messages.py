"""What the server's parts pass each other: an answer to send."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Answer", "error"]


@dataclass
class Answer:
    """An HTTP answer: status, media type, body and any extra headers."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str) -> Answer:
    """A short plain-text answer (never a traceback or a file path)."""
    return Answer(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"))

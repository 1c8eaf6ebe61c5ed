"""``kg check-quotes``: check a cited source's quotes against its cached text, and record it.

A cited source (``kg add-source --cite``) keeps its text in the local cache only. On a
machine whose cache holds the text, :func:`check_quotes` finds every quote of the source's
statements in it (the build's own anchoring, :func:`kg.data.dataset.load_dataset`) and
writes the source's quote index (:mod:`kg.sources.quotes`): each quote's offsets, the sha256
of the text and today's date. A clone without the cache then builds with those offsets and
marks each quote "quoted; checked against sha256 … on DATE". The index is written through
:func:`kg.project.datafile.write_checked`: under the data lock, and only once the data set
loads with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from kg.errors import DataError
from kg.project._yaml import load_yaml
from kg.project.datafile import write_checked
from kg.sources.quotes import QuoteIndex, dump_index, load_index

__all__ = ["CheckedSource", "check_quotes"]


@dataclass(frozen=True)
class CheckedSource:
    id: str
    quotes: int  #: distinct quotes (with their occurrences) found in the text
    index: Path | None  #: the index written, or None if the text is not in the cache
    changed: bool  #: whether the index differs from the one before (besides its date)


def check_quotes(
    data_dir: Path, only: tuple[str, ...] = (), today: str | None = None
) -> list[CheckedSource]:
    """Check and index the quotes of every cited source (or of *only*) whose text is here."""
    from kg.data.dataset import load_dataset

    today = today or dt.date.today().isoformat()
    data = load_dataset(data_dir)  # checks every quote of every source whose text is here
    cited = {sid: src for sid, src in data.sources.items() if src.cited}
    for sid in only:
        if sid not in data.sources:
            raise DataError(f"no source {sid!r} (kg check-quotes takes source ids)")
        if sid not in cited:
            raise DataError(f"source {sid!r} is kept whole, not cited: every build checks it")
    anchors: dict[str, dict[str, set[tuple[int, int]]]] = {sid: {} for sid in cited}
    for fact in data.facts():
        for ev in fact.evidence:
            if ev.source in anchors and ev.start is not None and ev.end is not None:
                anchors[ev.source].setdefault(ev.exact, set()).add((ev.start, ev.end))
    results, texts = [], {}
    for sid, src in sorted(cited.items()):
        if only and sid not in only:
            continue
        if src.clean is None:
            results.append(CheckedSource(sid, 0, None, False))
            continue
        path = src.quote_index
        assert path is not None  # a source loaded from its metadata file
        found = {quote: sorted(spans) for quote, spans in anchors[sid].items()}
        before = load_index(path)
        changed = before is None or before.anchors != found or before.sha256 != src.sha256
        texts[path] = dump_index(QuoteIndex(sid, src.sha256, today, dict(found)))
        count = sum(len(spans) for spans in found.values())
        results.append(CheckedSource(sid, count, path, changed))
    if texts:
        write_checked(data_dir, texts, check=lambda: _check(data_dir, texts))
    return results


def _check(data_dir: Path, texts: dict[Path, str]) -> None:
    """The data set loads with the new indexes, and each reads back as written."""
    from kg.data.dataset import load_dataset

    load_dataset(data_dir)
    for path in texts:
        load_yaml(path)
        load_index(path)

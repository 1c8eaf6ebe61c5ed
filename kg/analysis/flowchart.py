"""The talent-flow chart: where an organisation's people went, and when, one lane per person.

:func:`talent_flow` reads the lanes from a :func:`kg.analysis.report.diaspora_report`:
for each alumnus with at least one dated fact, the time at the organisation (joining to
leaving, as the sources date them), the departure, and what came next (a company founded,
a role taken elsewhere, a move inside the group), each mark with the quotes that state
its date. :func:`kg.analysis.drawing.draw_talent_flow` draws them with matplotlib for a
column 660 px wide; :func:`render_talent_flow` makes an SVG (each mark a link to its source,
with its quotes as its tooltip) or a PNG of them, and :func:`write_talent_flow` writes it.

What the chart says is no more than the facts: a tenure dated at both ends is a bar; with
one end dated it fades out towards the end the sources do not give (no date is made up); a
tenure no source dates is written "dates not given", never drawn. A date given as a year
is drawn across that year. The axis spans only the years the facts span. Nothing here
imports matplotlib (:mod:`kg.analysis.drawing` does, inside its functions).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.analysis.drawing import FLOW_WORDS, date_key
from kg.analysis.facts import EVENTS
from kg.errors import KGError

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.query.store import KGStore

__all__ = [
    "Lane",
    "Mark",
    "check_chart_path",
    "render_talent_flow",
    "source_links",
    "talent_flow",
    "write_talent_flow",
]


@dataclass
class Mark:
    """One dated event of a lane: its kind, date as the source gives it, and its quotes."""

    kind: str  #: joined, left, ended, founded, moved or role
    date: str
    label: str  #: the destination's name, shown beside the mark ("" for the tenure's ends)
    description: str  #: one line, in the chart's language
    quotes: list[str] = field(default_factory=list)


@dataclass
class Lane:
    """One alumnus: the time at the organisation and the dated marks."""

    id: str
    name: str
    start: str | None
    end: str | None
    marks: list[Mark]

    @property
    def first(self) -> str:
        """The date the lane is ordered by: its departure, else its first dated mark."""
        return self.end or min(m.date for m in self.marks)


# A destination after the words "next role".
_IN = {"en": " ({})", "zh-Hans": "({})", "zh-Hant": "({})"}


def talent_flow(report: dict[str, Any]) -> tuple[list[Lane], list[dict[str, str]]]:
    """The lanes of the chart, from a :func:`kg.analysis.report.diaspora_report`.

    Returns the lanes (alumni with at least one dated fact, ordered by when they left,
    else by their first dated mark) and the alumni no source dates anything for.

    A lane's marks: the joining and the departure (where dated; a move to a group company
    ends no membership of the group, so its end is marked as the end of the time at the
    organisation, not as leaving), the founding of each company founded (at the company's
    founding date; where that is not given, at a dated role taken there), a role or a move
    elsewhere dated after the time at the organisation. Each mark has the quotes that write
    its date (from the report's timeline), or else the evidence of the fact.

    Examples
    --------
    >>> from kg.analysis.facts import example_graph
    >>> from kg.analysis.report import diaspora_report
    >>> g = example_graph()
    >>> lanes, _ = talent_flow(diaspora_report(g, lang="en"))
    >>> lu = next(lane for lane in lanes if lane.id == "person/lu-qi")
    >>> for m in lu.marks:
    ...     print(m.kind, m.date, m.label or "-")
    joined 2017-01 -
    left 2018-05-18 -
    role 2018-08 Y Combinator China
    """
    lang, org = report["lang"], report["org"]
    rows = report["timeline"]

    def quotes(events: tuple[str, ...], person: str | None, other: str, date: str) -> list[str]:
        found = [
            q
            for r in rows
            if r["event"] in events
            and (person is None or r["subject_id"] == person)
            and r["object_id"] == other
            and r["date"] == date
            for q in r["quotes"]
        ]
        return list(dict.fromkeys(found))

    def say(event: str, who: str, where: str) -> str:  # the timeline's sentence of an event
        return EVENTS[event][lang].format(s=who, o=where, g=org["name"], r="", v="")

    colon = ": " if lang == "en" else ":"
    companies = {c["id"]: c for c in report["companies"]}
    lanes, undated = [], []
    for a in report["alumni"]:
        pid = a["id"]
        marks: list[Mark] = []
        if a["start"]:
            said = quotes(("joined", "moved"), pid, org["id"], a["start"]) or a["evidence"]
            text = say("joined", a["name"], org["name"])
            marks.append(Mark("joined", a["start"], "", text, said))
        if a["end"]:
            kind = "left" if a["left_group"] else "ended"
            said = quotes(("left",), pid, org["id"], a["end"]) or a["evidence"]
            text = (
                say("left", a["name"], org["name"])
                if kind == "left"
                else a["name"] + colon + FLOW_WORDS[kind][lang].format(org=org["name"])
            )
            marks.append(Mark(kind, a["end"], "", text, said))
        after = a["end"]  # a job elsewhere came next only if it began after the departure
        for w in a["went"]:
            place = w["org"]
            if w["how"] == "founded":
                company = companies.get(place["id"], {})
                date = company.get("founded")
                if date:
                    said = quotes(("founded",), None, place["id"], date) or company["evidence"]
                    text = say("founded", a["name"], place["name"])
                    marks.append(Mark("founded", date, place["name"], text, said))
                    continue
                roles = sorted(
                    (
                        r
                        for r in rows
                        if r["event"] in ("took role", "joined")
                        and r["subject_id"] == pid
                        and r["object_id"] == place["id"]
                    ),
                    key=lambda r: date_key(r["date"]),
                )
                if roles:
                    r = roles[0]
                    marks.append(
                        Mark("role", r["date"], place["name"], r["description"], r["quotes"])
                    )
            elif w.get("start") and (
                w["how"] == "moved" or (after and date_key(w["start"]) >= date_key(after))
            ):
                kind = "moved" if w["how"] == "moved" else "role"
                events = ("moved", "joined", "took role")
                said = quotes(events, pid, place["id"], w["start"]) or w.get("evidence", [])
                text = (
                    say("moved", a["name"], place["name"])
                    if kind == "moved"
                    else a["name"]
                    + colon
                    + FLOW_WORDS["role"][lang]
                    + _IN[lang].format(place["name"])
                )
                marks.append(Mark(kind, w["start"], place["name"], text, said))
        if marks:
            marks.sort(key=lambda m: (date_key(m.date), m.kind != "joined"))
            lanes.append(Lane(pid, a["name"], a["start"], a["end"], marks))
        else:
            undated.append({"id": pid, "name": a["name"]})
    lanes.sort(key=lambda lane: (date_key(lane.first), lane.id))
    return lanes, undated


def source_links(
    graph: Graph | KGStore, quotes: list[str], lang: str = "zh-Hans"
) -> dict[str, list[tuple[str, str]]]:
    """``{quote: [(source title, source URL), …]}`` for *quotes*: the sources whose spans hold
    each quote (its headline in *lang* where it has one, and its ``schema:url`` or "" where
    the graph has none).

    *graph* is an rdflib graph or an opened store (:func:`kg.query.store.open_store`); only
    the spans of *quotes* are asked for.
    """
    from rdflib import Literal

    from kg.analysis.neighbourhood import _answer

    wanted = sorted(set(quotes))
    found: dict[str, dict[str, str]] = {}  # quote -> work -> url
    titles: dict[str, dict[str, str]] = {}  # work -> language tag -> headline
    for i in range(0, len(wanted), 200):
        values = " ".join(Literal(q).n3() for q in wanted[i : i + 200])
        text = f"""SELECT ?q ?w ?title ?url WHERE {{
  VALUES ?q {{ {values} }}
  ?sel oa:exact ?q . ?span oa:hasSelector ?sel ; oa:hasSource ?w .
  OPTIONAL {{ ?w schema:headline ?title }}
  OPTIONAL {{ ?w schema:url ?url }}
}}"""
        if hasattr(graph, "spec"):
            result = _answer(graph, text)  # type: ignore[arg-type]
        else:
            from kg.analysis.neighbourhood import _PROLOGUE

            result = graph.query(_PROLOGUE + text)
        for row in result:
            q, w, title, url = (None if t is None else str(getattr(t, "value", t)) for t in row)
            if q is None or w is None:
                continue
            tag = str(getattr(row[2], "language", None) or "").lower()
            titles.setdefault(w, {})[tag] = title or ""
            found.setdefault(q, {})[w] = url or found.get(q, {}).get(w) or ""

    def headline(work: str) -> str:
        said = titles.get(work, {})
        for tag in (lang.lower(), "zh-hans", "en", ""):
            if said.get(tag):
                return said[tag]
        return next((t for t in said.values() if t), work.rsplit("/", 1)[-1])

    return {
        q: sorted(((headline(w), u) for w, u in works.items()), key=lambda t: (not t[1], t))
        for q, works in found.items()
    }


def _title(mark: Mark, links: dict[str, list[tuple[str, str]]]) -> str:
    lines = [f"{mark.description} ({mark.date})"]
    for q in mark.quotes:
        where = "; ".join(f"{t} {u}".strip() for t, u in links.get(q, []))
        lines.append(f"“{q}”" + (f" — {where}" if where else ""))
    return "\n".join(lines)


def _url(mark: Mark, links: dict[str, list[tuple[str, str]]]) -> str | None:
    for q in mark.quotes:
        for _, url in links.get(q, []):
            if url.startswith(("http://", "https://")):
                return url
    return None


#: The files :func:`write_talent_flow` writes, by extension.
FORMATS = (".svg", ".png")


def check_chart_path(path: Path) -> None:
    """Raise KGError unless *path* names an SVG or PNG file in an existing folder."""
    if path.suffix.lower() not in FORMATS:
        raise KGError(
            f"--chart {path}: give a file ending in .svg or .png "
            + (f"(not {path.suffix!r})" if path.suffix else "(it has no extension)")
        )
    if path.is_dir():
        raise KGError(f"--chart {path}: is a folder; give a file ending in .svg or .png")
    if not path.parent.is_dir():
        raise KGError(f"--chart {path}: the folder {path.parent} does not exist")


def render_talent_flow(
    report: dict[str, Any], fmt: str = "svg", graph: Graph | KGStore | None = None
) -> bytes:
    """The chart of *report* as an SVG or PNG file's bytes (*fmt* ``"svg"`` or ``"png"``).

    In the SVG the text stays text (in the report's language), each mark is a link to the
    source of its first quote that has a URL, and its tooltip (``<title>``) says what it is
    and gives every quote with its source (the sources are read from *graph*, the graph or
    opened store the report was made from; without it the tooltips give the quotes alone
    and the marks link nowhere); the drawing is 660 px wide. The PNG has twice the pixels.
    """
    return _render(report, fmt, graph)[0]


def _render(report: dict[str, Any], fmt: str, graph: Graph | KGStore | None) -> tuple[bytes, int]:
    """The chart's bytes (:func:`render_talent_flow`) and its number of lanes."""
    from kg.analysis.drawing import chart_bytes, draw_talent_flow

    if fmt not in ("svg", "png"):
        raise KGError(f"a chart is svg or png, not {fmt!r}")
    lanes, undated = talent_flow(report)
    links: dict[str, list[tuple[str, str]]] = {}
    if graph is not None and fmt == "svg":  # a PNG has no links
        quotes = [q for lane in lanes for m in lane.marks for q in m.quotes]
        links = source_links(graph, quotes, report["lang"])
    urls = {
        (i, j): url
        for i, lane in enumerate(lanes)
        for j, mark in enumerate(lane.marks)
        if (url := _url(mark, links))
    }
    fig = draw_talent_flow(
        lanes, undated, lang=report["lang"], org=report["org"]["name"], urls=urls
    )
    data = chart_bytes(fig, fmt)
    if fmt == "png":
        return data, len(lanes)
    text = data.decode("utf-8")
    # matplotlib sizes the drawing in pt (a browser shows 660pt as 880 px): in px, so that
    # the chart is a column wide and its text 10 px and more at that width.
    text = re.sub(
        r'(<svg\b[^>]*?)\bwidth="([\d.]+)pt" height="([\d.]+)pt"',
        r'\1width="\2" height="\3"',
        text,
        count=1,
    )
    for i, lane in enumerate(lanes):
        for j, mark in enumerate(lane.marks):
            title = html.escape(_title(mark, links), quote=False)
            opening = re.search(rf'<g id="flow-mark-{i}-{j}"[^>]*>', text)
            if opening:
                at = opening.end()
                text = f"{text[:at]}\n   <title>{title}</title>{text[at:]}"
    return text.encode("utf-8"), len(lanes)


def write_talent_flow(
    report: dict[str, Any], path: Path, graph: Graph | KGStore | None = None
) -> int:
    """Write the chart of *report* to *path* (.svg or .png, :func:`render_talent_flow`, its
    sources read from *graph*); return the number of lanes."""
    check_chart_path(path)
    data, lanes = _render(report, path.suffix.lower()[1:], graph)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise KGError(f"--chart {path}: cannot write it ({exc.strerror or exc})") from None
    return lanes

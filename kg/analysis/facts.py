"""A built graph's facts read in one language, and two tables: figures and tenures.

:class:`_Reader` reads names, evidence quotes and values of an rdflib graph in
zh-Hans, zh-Hant or English; :func:`format_amount` says a figure's amount in
each; :data:`EVENTS` holds the words of each kind of event of
:func:`kg.analysis.timeline.timeline`. :func:`figures` lists every figure, dated
or not, and :func:`tenures` who was where, in which roles, from when to when.

pandas is imported inside the functions only.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.project import project_root
from kg.project.months import MONTHS_EN
from kg.project.namespaces import BASE, PREFIXES
from kg.sources.clean import to_traditional

if TYPE_CHECKING:
    import pandas as pd
    from rdflib import Graph

__all__ = ["EVENTS", "FIGURE_COLUMNS", "figures", "format_amount", "tenures"]


LANGS = ("zh-Hans", "zh-Hant", "en")


@functools.lru_cache(maxsize=1)
def example_graph() -> Graph:
    """The graph of the project's data folder, built once per process: the graph the examples
    in the docstrings of :mod:`kg.analysis` read (read it, do not change it)."""
    from kg.data.dataset import load_dataset
    from kg.graph.build import build_graph

    return build_graph(load_dataset(project_root() / "data"))


# Event kinds with how to say them; {s}, {o}, {r}, {v} and {g} (a group) are filled in.
EVENTS: dict[str, dict[str, str]] = {
    "joined": {"en": "{s} joined {o}", "zh-Hans": "{s}加入{o}", "zh-Hant": "{s}加入{o}"},
    "moved": {
        "en": "{s} moved within the {g} group to {o}",
        "zh-Hans": "{s}在{g}体系内转到{o}",
        "zh-Hant": "{s}在{g}體系內轉到{o}",
    },
    "took role": {
        "en": "{s} became {r} of {o}",
        "zh-Hans": "{s}出任{o}{r}",
        "zh-Hant": "{s}出任{o}{r}",
    },
    "left": {"en": "{s} left {o}", "zh-Hans": "{s}离开{o}", "zh-Hant": "{s}離開{o}"},
    "stepped down": {
        "en": "{s} stepped down as {r} of {o}",
        "zh-Hans": "{s}卸任{o}{r}",
        "zh-Hant": "{s}卸任{o}{r}",
    },
    "founded": {"en": "{s} founded {o}", "zh-Hans": "{s}创立{o}", "zh-Hant": "{s}創立{o}"},
    "renamed": {
        "en": "{s} renamed (formerly {v})",
        "zh-Hans": "{s}更名(原名{v})",
        "zh-Hant": "{s}更名(原名{v})",
    },
    "listing": {"en": "{s}: {v}", "zh-Hans": "{s}:{v}", "zh-Hant": "{s}:{v}"},
    "listed": {"en": "{s} listed on {o}", "zh-Hans": "{s}在{o}上市", "zh-Hant": "{s}在{o}上市"},
    "independent": {
        "en": "{s} became independent of {o}",
        "zh-Hans": "{s}从{o}独立",
        "zh-Hant": "{s}從{o}獨立",
    },
    "launched": {"en": "{o} launched {s}", "zh-Hans": "{o}推出{s}", "zh-Hant": "{o}推出{s}"},
    "planned launch": {
        "en": "{o} plans to launch {s}",
        "zh-Hans": "{o}计划推出{s}",
        "zh-Hant": "{o}計劃推出{s}",
    },
    "customer": {
        "en": "{s} buys from {o}",
        "zh-Hans": "{s}采购{o}的产品",
        "zh-Hant": "{s}採購{o}的產品",
    },
    "recruited": {"en": "{s} recruited {o}", "zh-Hans": "{s}招揽{o}", "zh-Hant": "{s}招攬{o}"},
    "figure": {"en": "{s} {r}: {v}", "zh-Hans": "{s}{r}:{v}", "zh-Hant": "{s}{r}:{v}"},
    "forecast": {
        "en": "{s} {r} (forecast): {v}",
        "zh-Hans": "{s}{r}(预测):{v}",
        "zh-Hant": "{s}{r}(預測):{v}",
    },
    "milestone": {"en": "{v}", "zh-Hans": "{v}", "zh-Hant": "{v}"},
    "other": {"en": "{s} {r} {o}", "zh-Hans": "{s}{r}{o}", "zh-Hant": "{s}{r}{o}"},
}


_BY = {"en": ", by {o}", "zh-Hans": "({o})", "zh-Hant": "({o})"}


_QUALIFIER = {
    "approximately": {"en": "about ", "zh-Hans": "约", "zh-Hant": "約"},
    "more than": {"en": "more than ", "zh-Hans": "超", "zh-Hant": "超"},
    "nearly": {"en": "nearly ", "zh-Hans": "近", "zh-Hant": "近"},
    "at most": {"en": "at most ", "zh-Hans": "至多", "zh-Hant": "至多"},
}


_UNITS = {  # unit -> (en prefix, en suffix, zh-Hans suffix, zh-Hant suffix)
    "CNY": ("CNY ", "", "元", "元"),
    "USD": ("USD ", "", "美元", "美元"),
    "USD per unit": ("USD ", " per unit", "美元/片", "美元/片"),
    "percent": ("", "%", "%", "%"),
    "units": ("", " units", "片", "片"),
    "times": ("", "×", "倍", "倍"),
    "days": ("", " days", "天", "天"),
    "people": ("", " people", "人", "人"),
    "partners": ("", " partners", "家", "家"),
    "vehicles": ("", " vehicles", "辆", "輛"),
}


def _number(value: float, lang: str) -> str:
    """Say a number the way the language does: 2.1e10 is "21 billion" or "210亿"."""
    sign, value = ("-" if value < 0 else ""), abs(value)
    if lang == "en":
        for size, word in ((1e9, " billion"), (1e6, " million")):
            if value >= size:
                return f"{sign}{value / size:g}{word}"
        return f"{sign}{value:,.0f}" if value == int(value) else f"{sign}{value:g}"
    for size, word in (
        (1e8, "亿" if lang == "zh-Hans" else "億"),
        (1e4, "万" if lang == "zh-Hans" else "萬"),
    ):
        if value >= size:
            return f"{sign}{value / size:g}{word}"
    return f"{sign}{value:g}"


def format_amount(
    value: float | None,
    unit: str,
    lang: str = "en",
    low: float | None = None,
    high: float | None = None,
    qualifier: str | None = None,
) -> str:
    """Write a figure's amount in *lang*: ``format_amount(2e9, "CNY", "zh-Hans")`` is ``20亿元``.

    Examples
    --------
    >>> format_amount(21e9, "CNY", "en")
    'CNY 21 billion'
    >>> format_amount(3.5e9, "CNY", "zh-Hans", qualifier="more than")
    '超35亿元'
    >>> format_amount(None, "percent", "en", low=70, high=100)
    '70–100%'
    >>> format_amount(2, "rank", "en")
    'no. 2'
    """
    if unit == "rank":
        return {"en": f"no. {value:g}", "zh-Hans": f"第{value:g}", "zh-Hant": f"第{value:g}"}[lang]
    if value is not None:
        amount = _number(value, lang)
    else:
        amount = f"{_number(low or 0, lang)}–{_number(high or 0, lang)}"
    pre, post, hans, hant = _UNITS.get(unit, ("", f" {unit}", unit, unit))
    text = (
        f"{pre}{amount}{post}" if lang == "en" else f"{amount}{hans if lang == 'zh-Hans' else hant}"
    )
    if qualifier:
        text = _QUALIFIER.get(qualifier, {}).get(lang, f"{qualifier} ") + text
    return text


#: Measures whose value belongs to something the figure's subject buys or makes, not to the
#: subject itself (a GPU's price is not Baidu's price): how to name what is measured,
#: with {s} the subject.
_OF_ANOTHER = {
    "unitPrice": {
        "en": "unit price of a product {s} bought",
        "zh-Hans": "{s}外购产品的单价",
        "zh-Hant": "{s}外購產品的單價",
    },
    "developmentCost": {
        "en": "cost of a product {s} developed itself",
        "zh-Hans": "{s}自研产品的成本",
        "zh-Hant": "{s}自研產品的成本",
    },
}

#: Measures whose value holds at the start of the span the figure is given with (a share
#: price at the start of a tenure): shown at that start, not as a value for the whole span.
_AT_START = frozenset({"sharePriceAtStart"})


def _value_position(value: str | None, quotes: list[str]) -> int | None:
    """Where *value* (a number) is first written in *quotes*, as a sort key; None if nowhere."""
    if value is None:
        return None
    number = f"{float(value):g}"
    pattern = re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d.])")
    for i, quote in enumerate(quotes):
        found = pattern.search(quote)
        if found:
            return i * 100_000 + found.start()
    return None


_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


_MONTH_NAMES = ([m[:3] for m in MONTHS_EN], list(MONTHS_EN))
_MONTH = re.compile(
    r"(?<!\d)(\d{1,2})\s*月|(?<=\d{4})[-/](\d{1,2})(?!\d)|\b("
    + "|".join(_MONTH_NAMES[1] + _MONTH_NAMES[0])
    + r")\b\.?",
    re.IGNORECASE,
)


def _months(quote: str) -> set[int]:
    """The months *quote* writes (3月, 2017-03, 2017/3/1, March, Mar)."""
    found = set()
    for zh, iso, word in _MONTH.findall(quote):
        if zh or iso:
            found.add(int(zh or iso))
        else:
            word = word.lower()
            names = _MONTH_NAMES[1] if word in _MONTH_NAMES[1] else _MONTH_NAMES[0]
            found.add(names.index(word) + 1)
    return {m for m in found if 1 <= m <= 12}


def stating(found: list[tuple[str, str]], date: str) -> list[str]:
    """Of *found* ``(source, quote)`` pairs, the quotes that state *date*.

    A quote states it when it writes the date's year, or writes no year at all and comes from
    a source that writes the year elsewhere (a sentence dated by its source's dateline); and,
    for a date with a month, when it writes no month or writes that month. A quote that
    writes only other years or other months (the departure sentence cited for the same
    tenure) states something else and is left out.

    >>> stating([("a", "2017年空降百度"), ("a", "2018年5月,陆奇突然卸任")], "2017")
    ['2017年空降百度']
    >>> stating([("t", "hired in early 2017"), ("t", "stepped down in May")], "2017-01")
    ['hired in early 2017']
    """
    year = date[:4]
    month = int(date[5:7]) if len(date) >= 7 else None
    sources = {src for src, q in found if year in _YEAR.findall(q)}

    def states(src: str, quote: str) -> bool:
        years = _YEAR.findall(quote)
        if not (year in years or (src in sources and not years)):
            return False
        months = _months(quote)
        return month is None or not months or month in months

    return list(dict.fromkeys(q for src, q in found if states(src, q)))


def _measure_labels(path: Path) -> dict[str, dict[str, str]]:
    from kg.data.vocabulary import load_vocabulary

    return load_vocabulary(path).measures if path.is_file() else {}


def _measure_label(measure: str, lang: str, relations: Path | None) -> str:
    labels = _measure_labels(relations or project_root() / "data" / "relations.yaml").get(
        measure, {}
    )
    if lang in labels:
        return labels[lang]
    if lang == "zh-Hant" and "zh-Hans" in labels:
        return to_traditional(labels["zh-Hans"])
    return labels.get("en", measure)


def _date_key(date: str) -> tuple[int, int, int]:
    parts = [int(p) for p in date.split("-")] + [0, 0]
    return parts[0], parts[1], parts[2]


def _check_lang(lang: str) -> None:
    from kg.errors import KGError

    if lang not in LANGS:
        raise KGError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")


class _Reader:
    """Reads names, quotes and values of one graph in one language."""

    def __init__(self, graph: Graph, lang: str, relations: Path | None = None) -> None:
        from rdflib import Literal, URIRef
        from rdflib.namespace import RDFS

        _check_lang(lang)
        self.graph, self.lang, self.relations = graph, lang, relations
        self._literal, self._uri, self._label = Literal, URIRef, RDFS.label

    def u(self, curie: str) -> Any:
        prefix, _, name = curie.partition(":")
        return self._uri(PREFIXES[prefix] + name)

    @staticmethod
    def local(node: Any) -> str:
        text = str(node)
        return text[len(BASE) :] if text.startswith(BASE) else text

    def name(self, node: Any) -> str:
        labels = {
            o.language: str(o)
            for o in self.graph.objects(node, self._label)
            if isinstance(o, self._literal)
        }
        return labels.get(self.lang) or labels.get("zh-Hans") or self.local(node)

    def quotes(self, node: Any) -> list[tuple[int, str]]:
        """(offset, quote) of every evidence span of *node*."""
        found = []
        for span in self.graph.objects(node, self.u("prov:wasDerivedFrom")):
            start = exact = None
            for selector in self.graph.objects(span, self.u("oa:hasSelector")):
                exact = exact or self.graph.value(selector, self.u("oa:exact"))
                start = (
                    start if start is not None else self.graph.value(selector, self.u("oa:start"))
                )
            if exact is not None:
                found.append((int(str(start)) if start is not None else 0, str(exact)))
        return sorted(found)

    def sourced_quotes(
        self, nodes: list[Any], via: str = "prov:wasDerivedFrom"
    ) -> list[tuple[str, str]]:
        """``(source, quote)`` of every evidence span of *nodes*, in source order; with *via*
        ``kg:startDateFrom`` (``kg:endDateFrom``, ``kg:dateFrom``) only the quotes of the
        statements that give the fact's start (end, date)."""
        found = []
        for node in nodes:
            for span in self.graph.objects(node, self.u(via)):
                source = str(self.graph.value(span, self.u("oa:hasSource")) or "")
                start = exact = None
                for selector in self.graph.objects(span, self.u("oa:hasSelector")):
                    exact = exact or self.graph.value(selector, self.u("oa:exact"))
                    start = start or self.graph.value(selector, self.u("oa:start"))
                if exact is not None:
                    found.append((source, int(str(start or 0)), str(exact)))
        return [(src, q) for src, _, q in sorted(found)]

    def span_point(self, node: Any, measure: str, start: str | None, end: str | None) -> Any:
        """The one date a figure given over *start*–*end* holds at, or None if it is a value
        for the span: the start for a measure taken at the start; for values of one measure
        of one subject given over the same span (partners "from 50 to 116"), the first the
        source writes holds at the start and the last at the end."""
        if not (start and end):
            return None
        if measure in _AT_START:
            return start
        about = self.graph.value(node, self.u("schema:about"))
        own = self.value(node, "schema:value")
        siblings = [
            other
            for other in self.graph.subjects(self.u("schema:about"), about)
            if self.value(other, "kg:measure") == measure
            and self.value(other, "schema:startDate") == start
            and self.value(other, "schema:endDate") == end
        ]
        values = {self.value(other, "schema:value") for other in siblings}
        if own is None or len(values) < 2:
            return None
        quotes = [q for _, q in self.quotes(node)]
        order = sorted((pos, v) for v in values if (pos := _value_position(v, quotes)) is not None)
        if len(order) != len(values):
            return None
        if own == order[0][1]:
            return start
        if own == order[-1][1]:
            return end
        return None

    def value(self, node: Any, curie: str) -> str | None:
        """The value of *curie* on *node*; the smallest, where a merged fact has several
        (so the answer never depends on the order a store holds them in)."""
        found = [str(o) for o in self.graph.objects(node, self.u(curie))]
        return min(found) if found else None

    def figure(self, node: Any) -> dict[str, Any]:
        """One figure node as a row of :func:`figures`."""
        about = self.graph.value(node, self.u("schema:about"))
        measure = self.value(node, "kg:measure") or ""
        forecast = bool(self.graph.value(node, self.u("kg:isForecast")))
        by = self.graph.value(node, self.u("kg:forecastBy"))
        date = self.value(node, "kg:date") or self.value(node, "kg:period")
        start, end = self.value(node, "schema:startDate"), self.value(node, "schema:endDate")
        amount = format_amount(
            _float(self.value(node, "schema:value")),
            self.value(node, "schema:unitText") or "",
            self.lang,
            low=_float(self.value(node, "schema:minValue")),
            high=_float(self.value(node, "schema:maxValue")),
            qualifier=self.value(node, "kg:qualifier"),
        )
        subject = self.name(about)
        if measure in _OF_ANOTHER:  # the value is not the subject's own: no "Baidu unit price"
            label = _OF_ANOTHER[measure][self.lang].format(s=subject)
            template = EVENTS["forecast" if forecast else "figure"][self.lang].replace("{s}", "")
            text = template.strip().format(r=label, v=amount)
        else:
            label = _measure_label(measure, self.lang, self.relations)
            text = EVENTS["forecast" if forecast else "figure"][self.lang].format(
                s=subject, r=label, v=amount
            )
        if by is not None:
            text += _BY[self.lang].format(o=self.name(by))
        found = self.quotes(node)
        return {
            "subject_id": self.local(about),
            "subject": subject,
            "measure": measure,
            "label": label,
            "value": amount,
            "date": date or start,
            "end": end if not date else None,
            "forecast": forecast,
            "by_id": self.local(by) if by is not None else None,
            "by": self.name(by) if by is not None else None,
            "description": text,
            "quote": " … ".join(q for _, q in found),
            "quotes": [q for _, q in found],
            "fact": str(node),
        }


#: The columns of :func:`figures`, in order.
FIGURE_COLUMNS = (
    "subject_id",
    "subject",
    "measure",
    "label",
    "value",
    "date",
    "end",
    "forecast",
    "by_id",
    "by",
    "description",
    "quote",
    "quotes",
    "fact",
)


def figures(graph: Graph, lang: str = "zh-Hans", relations: Path | None = None) -> pd.DataFrame:
    """Every figure of *graph*, dated or not, one row each (sorted by subject and measure).

    ``date`` is the period or start the source gives (None when it gives none),
    ``end`` the end of a span; ``value`` the amount written in *lang*.

    Examples
    --------
    >>> from kg.analysis.facts import example_graph
    >>> f = figures(example_graph(), lang="en")
    >>> f[f.measure == "valuation"][["subject", "value", "date"]].values.tolist()
    [['Kunlunxin', 'CNY 21 billion', None]]
    """
    from rdflib.namespace import RDF

    reader = _Reader(graph, lang, relations)
    rows = [reader.figure(node) for node in graph.subjects(RDF.type, reader.u("kg:Figure"))]
    rows.sort(key=lambda r: (r["subject_id"], r["measure"], r["date"] or "", r["fact"]))
    return _frame(rows, FIGURE_COLUMNS)


def _roles_text(roles: list[str], lang: str) -> str:
    if lang != "en":
        return "、".join(roles)
    return roles[0] if len(roles) == 1 else ", ".join(roles[:-1]) + " and " + roles[-1]


def tenures(graph: Graph, lang: str = "zh-Hans") -> pd.DataFrame:
    """Who was where, in which roles, from when to when: one row per dated tenure.

    A tenure and the roles held with it over the same dates are one row
    (``roles`` lists them); a role dated on its own is a row of its own. Only
    what the source dates is here; ``start`` or ``end`` is None where the
    source gives none (which says nothing about whether the tenure goes on).
    ``relation`` is ``alumniOf`` (worked there), ``worksFor`` (works there) or
    ``role`` (a role alone).

    Examples
    --------
    >>> from kg.analysis.facts import example_graph
    >>> g = example_graph()
    >>> t = tenures(g, lang="en")
    >>> two = t[t.subject.isin(["Qi Lu", "Ouyang Jian"])]
    >>> two[["subject", "object", "relation", "roles", "start", "end"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['Qi Lu', 'Baidu', 'alumniOf', None, '2017-01', '2018-05-18'],
     ['Qi Lu', 'Baidu', 'role', 'COO and Group President', '2017-01-17', '2018-05'],
     ['Qi Lu', 'Y Combinator China', 'role', 'CEO', '2018-08', None],
     ['Ouyang Jian', 'Baidu', 'role', 'Chief Chip Architect', '2020', None],
     ['Ouyang Jian', 'Kunlunxin', 'worksFor', 'CEO', '2021', None]]
    """
    from rdflib.namespace import RDF

    reader = _Reader(graph, lang)
    u, local, name, value = reader.u, reader.local, reader.name, reader.value
    spans: dict[tuple[Any, Any, str | None, str | None], list[tuple[Any, Any, str]]] = {}
    for relation in ("alumniOf", "worksFor"):
        for st in graph.subjects(RDF.predicate, u("schema:" + relation)):
            start, end = value(st, "schema:startDate"), value(st, "schema:endDate")
            if start or end:
                key = (graph.value(st, RDF.subject), graph.value(st, RDF.object), start, end)
                spans.setdefault(key, []).append((st, None, relation))
    for m in graph.subjects(RDF.type, u("org:Membership")):
        start, end = value(m, "schema:startDate"), value(m, "schema:endDate")
        if start or end:
            key = (
                graph.value(m, u("org:member")),
                graph.value(m, u("org:organization")),
                start,
                end,
            )
            spans.setdefault(key, []).append((m, graph.value(m, u("org:role")), "role"))
    rows: list[dict[str, Any]] = []
    for (person, organization, start, end), facts in spans.items():
        kinds = [kind for _, _, kind in facts if kind != "role"]
        roles = sorted({name(role) for _, role, _ in facts if role is not None})
        found = sorted({q for node, _, _ in facts for q in reader.quotes(node)})
        rows.append(
            {
                "subject_id": local(person),
                "subject": name(person),
                "object_id": local(organization),
                "object": name(organization),
                "relation": kinds[0] if kinds else "role",
                "roles": _roles_text(roles, lang) if roles else None,
                "start": start,
                "end": end,
                "quote": " … ".join(q for _, q in found),
                "facts": sorted(str(node) for node, _, _ in facts),
            }
        )
    rows.sort(key=lambda r: (_date_key(r["start"] or r["end"]), r["subject_id"], r["object_id"]))
    return _frame(rows, _TENURE_COLUMNS)


_TENURE_COLUMNS = (
    "subject_id",
    "subject",
    "object_id",
    "object",
    "relation",
    "roles",
    "start",
    "end",
    "quote",
    "facts",
)


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """A DataFrame of object columns where a missing value is None (not NaN)."""
    import pandas as pd

    frame = pd.DataFrame(
        [[row.get(c) for c in columns] for row in rows], columns=list(columns), dtype=object
    )
    if "year" in frame:
        frame["year"] = frame["year"].astype(int)
    if "forecast" in frame:
        frame["forecast"] = frame["forecast"].map(bool).astype(bool)
    return frame


def _float(text: str | None) -> float | None:
    return float(text) if text is not None else None

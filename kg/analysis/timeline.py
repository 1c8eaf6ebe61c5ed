"""Timeline: every dated fact of the RDF graph as one tidy pandas table.

A fact is dated when its statement, membership or figure node carries
``schema:startDate``, ``schema:endDate``, ``kg:date`` or ``kg:period``. One
event is one row, with every fact and quote it rests on:

- the start of a tenure and of the roles taken with it on the same date are
  one arrival: "joined" (or "moved", when the person comes from another
  organisation of the same group: a parent, a subsidiary or a sibling);
- the start of a role alone is "took role" (出任): the source dates the role,
  not when the person joined;
- the end of a tenure with the roles given up on that date is one "left"; the
  end of a role alone is "stepped down"; a dated milestone about the same
  person and organisation, on the same date and resting on the same quote, is
  that departure and joins its row;
- a product made in a year gives a "launched" row; a figure gives a "figure"
  (or "forecast") row for its period.

Dates keep the precision of the source ("2017", "2018-05"); nothing is
invented, so facts the article leaves undated (most foundings, a valuation) are
not in the timeline: :func:`figures` lists every figure, dated or not.

pandas is imported inside the functions only; the plot is
:func:`kg.analysis.measures.plot_timeline`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.project import project_root
from kg.project.namespaces import BASE, PREFIXES
from kg.sources.clean import to_traditional

if TYPE_CHECKING:
    import pandas as pd
    from rdflib import Graph

__all__ = [
    "ABOUT",
    "COLUMNS",
    "EVENTS",
    "FIGURE_COLUMNS",
    "figures",
    "format_amount",
    "tenures",
    "timeline",
]

LANGS = ("zh-Hans", "zh-Hant", "en")
#: The properties that link a fact (statement, membership, figure, milestone) to the
#: entities it is about: what ``timeline(..., about=…)`` selects on.
ABOUT = (
    "rdf:subject",
    "rdf:object",
    "org:member",
    "org:organization",
    "schema:about",
    "kg:forecastBy",
)

#: The columns of :func:`timeline`, in order.
COLUMNS = (
    "date",
    "end",
    "year",
    "event",
    "subject_id",
    "subject",
    "object_id",
    "object",
    "role",
    "value",
    "description",
    "forecast",
    "status",
    "quote",
    "quotes",
    "fact",
    "facts",
)

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
# The roles taken or given up with a tenure's start or end.
_ROLE = {
    "joined": {"en": " as {r}", "zh-Hans": ",任{r}", "zh-Hant": ",任{r}"},
    "moved": {"en": " as {r}", "zh-Hans": ",任{r}", "zh-Hant": ",任{r}"},
    "left": {"en": ", stepping down as {r}", "zh-Hans": ",卸任{r}", "zh-Hant": ",卸任{r}"},
}
_BY = {"en": ", by {o}", "zh-Hans": "({o})", "zh-Hant": "({o})"}
_STATUS = {
    "listed": {"zh-Hans": "已上市", "zh-Hant": "已上市"},
    "queued for listing": {"zh-Hans": "排队上市", "zh-Hant": "排隊上市"},
    "planned IPO": {"zh-Hans": "计划IPO", "zh-Hant": "計劃IPO"},
}
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
# The order of events on the same date: a tenure starts before anything else.
_ORDER = {
    k: i
    for i, k in enumerate(
        ["joined", "moved", "took role", "recruited", "founded", "independent", "left"]
    )
}
_ORDER["stepped down"] = _ORDER["left"]


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


def _measure_labels(path: Path) -> dict[str, dict[str, str]]:
    from kg.data.statements import load_vocabulary

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
        label = _measure_label(measure, self.lang, self.relations)
        subject = self.name(about)
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
    >>> from kg.graph.build import build_graph
    >>> from kg.project import project_root
    >>> from kg.data.statements import load_dataset
    >>> f = figures(build_graph(load_dataset(project_root() / "data")), lang="en")
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


def _groups(graph: Graph, reader: _Reader) -> dict[str, str]:
    """Organisation id → the top of its group (parentOrganization facts, followed up)."""
    parent = {
        reader.local(s): reader.local(o)
        for s, o in graph.subject_objects(reader.u("schema:parentOrganization"))
    }
    top: dict[str, str] = {}
    for org in {*parent, *parent.values()}:
        seen, node = {org}, org
        while node in parent and parent[node] not in seen:
            node = parent[node]
            seen.add(node)
        top[org] = node
    return top


def timeline(
    graph: Graph,
    lang: str = "zh-Hans",
    relations: Path | None = None,
    *,
    about: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Every dated event of *graph*, one row each, with all its facts and quotes, in date order.

    Parameters
    ----------
    graph : rdflib.Graph
        A graph built by :func:`kg.graph.build.build_graph` (or loaded from ``build/kg.nt``).
    lang : {"zh-Hans", "zh-Hant", "en"}
        Language of the names and the description.
    relations : path, optional
        ``data/relations.yaml``, for the display labels of measures.
    about : iterable of str, optional
        Entity ids (``org/baidu``): read only the dated facts about one of them, that is
        whose subject or object, member or organisation, or ``schema:about`` or
        ``kg:forecastBy`` is one of them (:data:`ABOUT`); default every dated fact.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``date`` as precise as the source (``"2018-05"``),
        ``end`` for a figure that covers a span, ``year`` (int, for plotting),
        ``event`` (joined, moved, took role, left, stepped down, founded, renamed,
        listing, listed, independent, launched, planned launch, customer,
        recruited, figure, forecast, milestone), the subject and object as ids
        and as names in *lang*, the ``role`` (or roles) taken or given up, the
        ``value`` of a figure or literal fact, a one-line ``description``,
        ``forecast`` and ``status`` (``planned``), the evidence ``quote`` (all
        quotes joined by " … ") and ``quotes`` (a list), and the IRIs of the
        facts: ``fact`` (the first) and ``facts`` (all).

    Examples
    --------
    >>> from kg.graph.build import build_graph
    >>> from kg.project import project_root
    >>> from kg.data.statements import load_dataset
    >>> g = build_graph(load_dataset(project_root() / "data"))
    >>> df = timeline(g, lang="en")
    >>> lu = df[df.subject_id == "person/lu-qi"]
    >>> for row in lu[lu.event.isin(["joined", "left"])].itertuples():
    ...     print(row.date, row.description, len(row.quotes))
    2017 Qi Lu joined Baidu as COO and Group President 4
    2018-05 Qi Lu left Baidu, stepping down as COO and Group President 5
    >>> for text in df[df.subject_id == "person/ouyang-jian"].description:
    ...     print(text)
    Ouyang Jian became Chief Chip Architect of Baidu
    Ouyang Jian moved within the Baidu group to Kunlunxin as CEO
    """
    from rdflib.namespace import RDF, RDFS

    reader = _Reader(graph, lang, relations)
    u, local, name, value = reader.u, reader.local, reader.name, reader.value

    dated: set[Any] = set()
    for key in ("schema:startDate", "schema:endDate", "kg:date", "kg:period"):
        dated.update(graph.subjects(u(key), None))
    if about is not None:
        wanted = {u("kg:" + entity) for entity in about}
        links = [u(key) for key in ABOUT]
        dated = {
            node
            for node in dated
            if any(o in wanted for link in links for o in graph.objects(node, link))
        }

    rows: list[dict[str, Any]] = []

    def add(event: str, date: str, nodes: list[Any], **fields: Any) -> dict[str, Any]:
        template = EVENTS[event][lang]
        text = template.format(
            s=fields.get("subject", ""),
            o=fields.get("object", ""),
            r=fields.get("role") or fields.pop("rel", ""),
            v=fields.get("value", ""),
            g=fields.pop("group", ""),
        )
        if fields.pop("with_roles", False):
            text += _ROLE[event][lang].format(r=fields["role"])
        if fields.get("by"):
            text += _BY[lang].format(o=fields["by"])
        fields.pop("rel", None)
        fields.pop("by", None)
        found = sorted({q for node in nodes for q in reader.quotes(node)})
        row = {
            "date": date,
            "year": int(date[:4]),
            "event": event,
            "description": text,
            "quote": " … ".join(q for _, q in found),
            "quotes": [q for _, q in found],
            "fact": str(nodes[0]),
            "facts": [str(n) for n in nodes],
            **fields,
        }
        rows.append(row)
        return row

    # Tenures and roles: (start|end, person, organisation, date) -> [(node, role or None)]
    pieces: dict[tuple[str, Any, Any, str], list[tuple[Any, Any]]] = {}
    where: dict[Any, set[str]] = {}  # person -> organisations worked at (any date)
    for s, o in graph.subject_objects(u("schema:alumniOf")):
        where.setdefault(s, set()).add(local(o))
    for s, o in graph.subject_objects(u("schema:worksFor")):
        where.setdefault(s, set()).add(local(o))
    for m in graph.subjects(RDF.type, u("org:Membership")):
        member, organization = (
            graph.value(m, u("org:member")),
            graph.value(m, u("org:organization")),
        )
        where.setdefault(member, set()).add(local(organization))
    milestones: list[tuple[str, Any, set[str]]] = []

    for node in sorted(dated, key=str):
        types = set(graph.objects(node, RDF.type))
        start, end = value(node, "schema:startDate"), value(node, "schema:endDate")
        date = value(node, "kg:date") or value(node, "kg:period")
        status = value(node, "kg:status")
        if u("org:Membership") in types:
            person, organization = (
                graph.value(node, u("org:member")),
                graph.value(node, u("org:organization")),
            )
            role = graph.value(node, u("org:role"))
            for kind, when in (("start", start), ("end", end)):
                if when:
                    pieces.setdefault((kind, person, organization, when), []).append((node, role))
        elif u("kg:Figure") in types:
            row = reader.figure(node)
            add(
                "forecast" if row["forecast"] else "figure",
                row["date"] or "",
                [node],
                end=row["end"],
                subject_id=row["subject_id"],
                subject=row["subject"],
                object_id=row["by_id"],
                object=row["by"],
                rel=row["label"],
                value=row["value"],
                forecast=row["forecast"],
                by=row["by"],
            )
        elif u("schema:Event") in types:
            milestones.append(
                (date or "", node, {local(a) for a in graph.objects(node, u("schema:about"))})
            )
        elif RDF.Statement in types:
            s, p, o = (graph.value(node, key) for key in (RDF.subject, RDF.predicate, RDF.object))
            relation = local(p).rpartition("/")[2].rpartition("#")[2].rpartition(":")[2]
            if relation in ("alumniOf", "worksFor"):
                for kind, when in (("start", start), ("end", end)):
                    if when:
                        pieces.setdefault((kind, s, o, when), []).append((node, None))
                if date:
                    add(
                        "other",
                        date,
                        [node],
                        rel=relation,
                        subject_id=local(s),
                        subject=name(s),
                        object_id=local(o),
                        object=name(o),
                    )
                continue
            literal = isinstance(o, reader._literal)
            common = {
                "subject_id": local(s),
                "subject": name(s),
                "object_id": None if literal else local(o),
                "object": None if literal else name(o),
                "status": status,
            }
            if relation == "founder":  # org schema:founder person: say it person -> org
                common.update(
                    subject_id=common["object_id"],
                    subject=common["object"],
                    object_id=local(s),
                    object=name(s),
                )
            if literal:
                text = str(o)
                common["value"] = _STATUS.get(text, {}).get(lang, text)
                if text.startswith("planned"):
                    common["status"] = status or "planned"
            event = {
                "founder": "founded",
                "formerName": "renamed",
                "listingStatus": "listing",
                "listedOn": "listed",
                "spunOffFrom": "independent",
                "manufacturer": "planned launch" if status == "planned" else "launched",
                "customerOf": "customer",
                "recruited": "recruited",
            }.get(relation, "other")
            for when in (date, start, end):
                if when:
                    add(event, when, [node], rel=relation, **common)

    top = _groups(graph, reader)
    departures: dict[tuple[str, str, str], dict[str, Any]] = {}
    for (kind, person, organization, when), facts in sorted(pieces.items(), key=str):
        org_id = local(organization)
        tenure = any(role is None for _, role in facts)
        roles = sorted({name(role) for _, role in facts if role is not None})
        group = top.get(org_id)
        if kind == "start":
            moved = group is not None and any(
                other != org_id and top.get(other) == group for other in where.get(person, ())
            )
            event = ("moved" if moved else "joined") if tenure else "took role"
        else:
            event = "left" if tenure else "stepped down"
        row = add(
            event,
            when,
            [node for node, _ in facts],
            subject_id=local(person),
            subject=name(person),
            object_id=org_id,
            object=name(organization),
            role=_roles_text(roles, lang) if roles else None,
            group=name(reader._uri(BASE + group)) if group else "",
            with_roles=tenure and bool(roles),
        )
        if kind == "end":
            departures[local(person), org_id, when] = row

    for when, node, about in milestones:
        labels = {
            str(o.language): str(o)
            for o in graph.objects(node, RDFS.label)
            if isinstance(o, reader._literal) and o.language
        }
        said = set(q for _, q in reader.quotes(node))
        same = [
            row
            for (person, org_id, date), row in departures.items()
            if date == when and {person, org_id} <= about and said & set(row["quotes"])
        ]
        if same:  # the departure itself, told as a milestone: one event, all its quotes
            row = same[0]
            row["facts"].append(str(node))
            found = sorted({q for f in row["facts"] for q in reader.quotes(reader._uri(f))})
            row.update(quotes=[q for _, q in found], quote=" … ".join(q for _, q in found))
            continue
        label = labels.get(lang) or labels.get("en" if lang == "en" else "zh-Hans", "")
        if lang == "zh-Hant" and "zh-Hant" not in labels:
            label = to_traditional(label)
        first = sorted(graph.objects(node, u("schema:about")), key=str)
        add(
            "milestone",
            when,
            [node],
            subject_id=local(first[0]) if first else None,
            subject=name(first[0]) if first else None,
            value=label,
        )
    rows.sort(
        key=lambda r: (*_date_key(r["date"]), _ORDER.get(r["event"], 9), r["subject_id"], r["fact"])
    )
    return _frame(rows, COLUMNS)


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
    >>> from kg.graph.build import build_graph
    >>> from kg.project import project_root
    >>> from kg.data.statements import load_dataset
    >>> g = build_graph(load_dataset(project_root() / "data"))
    >>> t = tenures(g, lang="en")
    >>> t[["subject", "object", "relation", "roles", "start", "end"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['Qi Lu', 'Baidu', 'alumniOf', 'COO and Group President', '2017', '2018-05'],
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

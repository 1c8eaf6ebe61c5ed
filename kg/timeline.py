"""Timeline: every dated fact of the RDF graph as one tidy pandas table.

A fact is dated when its statement, membership or figure node carries
``schema:startDate``, ``schema:endDate``, ``kg:date`` or ``kg:period``. Each
date becomes one row (an event): a tenure gives a "joined" row at its start and
a "left" row at its end; a product made in a year gives a "launched" row; a
figure gives a "figure" (or "forecast") row for its period. Dates keep the
precision of the source ("2017", "2018-05"); nothing is invented, so facts the
article leaves undated (such as most foundings) are not in the timeline.

pandas is imported inside the functions only; the plot is
:func:`kg.analysis.plot_timeline`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.build import BASE, PREFIXES, project_root
from kg.clean import to_traditional

if TYPE_CHECKING:
    import pandas as pd
    from rdflib import Graph

__all__ = ["COLUMNS", "EVENTS", "format_amount", "tenures", "timeline"]

LANGS = ("zh-Hans", "zh-Hant", "en")

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
    "fact",
)

# Event kinds with how to say them; {s}, {o}, {r}, {v} are filled in.
EVENTS: dict[str, dict[str, str]] = {
    "joined": {"en": "{s} joined {o}", "zh-Hans": "{s}加入{o}", "zh-Hant": "{s}加入{o}"},
    "left": {"en": "{s} left {o}", "zh-Hans": "{s}离开{o}", "zh-Hant": "{s}離開{o}"},
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
_ROLE = {
    "joined": {"en": " as {r}", "zh-Hans": ",任{r}", "zh-Hant": ",任{r}"},
    "left": {"en": " ({r})", "zh-Hans": "({r})", "zh-Hant": "({r})"},
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
_ORDER = {k: i for i, k in enumerate(["joined", "recruited", "founded", "independent", "left"])}


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
    from kg.statements import load_vocabulary

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


def timeline(graph: Graph, lang: str = "zh-Hans", relations: Path | None = None) -> pd.DataFrame:
    """Every dated fact of *graph* as events, one row each, in date order.

    Parameters
    ----------
    graph : rdflib.Graph
        A graph built by :func:`kg.build.build_graph` (or loaded from ``build/kg.nt``).
    lang : {"zh-Hans", "zh-Hant", "en"}
        Language of the names and the description.
    relations : path, optional
        ``data/relations.yaml``, for the display labels of measures.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``date`` as precise as the source (``"2018-05"``),
        ``end`` for a figure that covers a span, ``year`` (int, for plotting),
        ``event`` (joined, left, founded, renamed, listing, listed, independent,
        launched, planned launch, customer, recruited, figure, forecast, milestone), the
        subject and object as ids and as names in *lang*, the ``role`` of a
        membership, the ``value`` of a figure or literal fact, a one-line
        ``description``, ``forecast`` and ``status`` (``planned``), the evidence
        ``quote`` (several quotes joined by " … ") and the IRI of the ``fact``.

    Examples
    --------
    >>> from kg.build import build_graph, project_root
    >>> from kg.statements import load_dataset
    >>> g = build_graph(load_dataset(project_root() / "data"))
    >>> df = timeline(g, lang="en")
    >>> row = df[(df.event == "left") & (df.role == "COO")].iloc[0]
    >>> row.date, row.description
    ('2018-05', 'Qi Lu left Baidu (COO)')
    >>> df[df.event == "independent"].description.tolist()
    ['Kunlunxin became independent of Baidu']
    """
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    _check_lang(lang)
    schema, kg, org, prov, oa = (PREFIXES[k] for k in ("schema", "kg", "org", "prov", "oa"))

    def u(iri: str) -> URIRef:
        return URIRef(iri)

    def local(node: Any) -> str:
        text = str(node)
        return text[len(BASE) :] if text.startswith(BASE) else text

    def name(node: Any) -> str:
        labels = {
            o.language: str(o) for o in graph.objects(node, RDFS.label) if isinstance(o, Literal)
        }
        return labels.get(lang) or labels.get("zh-Hans") or local(node)

    def quote(node: Any) -> str:
        found = []
        for span in graph.objects(node, u(prov + "wasDerivedFrom")):
            start = exact = None
            for selector in graph.objects(span, u(oa + "hasSelector")):
                exact = exact or graph.value(selector, u(oa + "exact"))
                start = start if start is not None else graph.value(selector, u(oa + "start"))
            if exact is not None:
                found.append((int(str(start)) if start is not None else 0, str(exact)))
        return " … ".join(text for _, text in sorted(found))

    def value(node: Any, key: str) -> str | None:
        found = graph.value(node, u(key))
        return str(found) if found is not None else None

    dated: set[Any] = set()
    for key in ("startDate", "endDate"):
        dated.update(graph.subjects(u(schema + key), None))
    for key in ("date", "period"):
        dated.update(graph.subjects(u(kg + key), None))

    rows: list[dict[str, Any]] = []

    def add(event: str, date: str, node: Any, **fields: Any) -> None:
        subject, obj = fields.get("subject", ""), fields.get("object", "")
        template = EVENTS[event][lang]
        text = template.format(
            s=subject,
            o=obj,
            r=fields.get("role") or fields.get("rel", ""),
            v=fields.get("value", ""),
        )
        if event in ("joined", "left") and fields.get("role"):
            text += _ROLE[event][lang].format(r=fields["role"])
        if fields.get("by"):
            text += _BY[lang].format(o=fields["by"])
        fields.pop("rel", None)
        fields.pop("by", None)
        rows.append(
            {
                "date": date,
                "year": int(date[:4]),
                "event": event,
                "description": text,
                "quote": quote(node),
                "fact": str(node),
                **fields,
            }
        )

    for node in dated:
        types = set(graph.objects(node, RDF.type))
        start, end = value(node, schema + "startDate"), value(node, schema + "endDate")
        date = value(node, kg + "date") or value(node, kg + "period")
        status = value(node, kg + "status")
        if u(org + "Membership") in types:
            member, organization = (
                graph.value(node, u(org + "member")),
                graph.value(node, u(org + "organization")),
            )
            role = graph.value(node, u(org + "role"))
            common = {
                "subject_id": local(member),
                "subject": name(member),
                "object_id": local(organization),
                "object": name(organization),
                "role": name(role) if role is not None else None,
            }
            if start:
                add("joined", start, node, **common)
            if end:
                add("left", end, node, **common)
        elif u(kg + "Figure") in types:
            about = graph.value(node, u(schema + "about"))
            measure = value(node, kg + "measure") or ""
            forecast = bool(graph.value(node, u(kg + "isForecast")))
            forecaster = graph.value(node, u(kg + "forecastBy"))
            amount = format_amount(
                _float(value(node, schema + "value")),
                value(node, schema + "unitText") or "",
                lang,
                low=_float(value(node, schema + "minValue")),
                high=_float(value(node, schema + "maxValue")),
                qualifier=value(node, kg + "qualifier"),
            )
            add(
                "forecast" if forecast else "figure",
                date or start or "",
                node,
                end=end if not date else None,
                subject_id=local(about),
                subject=name(about),
                object_id=local(forecaster) if forecaster is not None else None,
                object=name(forecaster) if forecaster is not None else None,
                rel=_measure_label(measure, lang, relations),
                value=amount,
                forecast=forecast,
                by=name(forecaster) if forecaster is not None else None,
            )
        elif u(schema + "Event") in types:
            about = sorted(graph.objects(node, u(schema + "about")), key=str)
            labels = {
                str(o.language): str(o)
                for o in graph.objects(node, RDFS.label)
                if isinstance(o, Literal) and o.language
            }
            label = labels.get(lang) or labels.get("en" if lang == "en" else "zh-Hans", "")
            if lang == "zh-Hant" and "zh-Hant" not in labels:
                label = to_traditional(label)
            first = about[0] if about else None
            add(
                "milestone",
                date or "",
                node,
                subject_id=local(first) if first is not None else None,
                subject=name(first) if first is not None else None,
                value=label,
            )
        elif RDF.Statement in types:
            s, p, o = (graph.value(node, key) for key in (RDF.subject, RDF.predicate, RDF.object))
            relation = local(p).rpartition("/")[2].rpartition("#")[2].rpartition(":")[2]
            literal = isinstance(o, Literal)
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
            if relation in ("alumniOf", "worksFor"):
                if start:
                    add("joined", start, node, **common)
                if end:
                    add("left", end, node, **common)
                if date:
                    add("other", date, node, rel=relation, **common)
                continue
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
                    add(event, when, node, rel=relation, **common)
    rows.sort(
        key=lambda r: (*_date_key(r["date"]), _ORDER.get(r["event"], 9), r["subject_id"], r["fact"])
    )
    return _frame(rows, COLUMNS)


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


def tenures(graph: Graph, lang: str = "zh-Hans") -> pd.DataFrame:
    """Who was where from when to when: one row per tenure or role, for a Gantt chart.

    Joins the "joined" and "left" rows of :func:`timeline` by fact. A tenure
    whose end the source does not give has ``end`` None (open or unknown).

    Examples
    --------
    >>> from kg.build import build_graph, project_root
    >>> from kg.statements import load_dataset
    >>> g = build_graph(load_dataset(project_root() / "data"))
    >>> t = tenures(g, lang="en")
    >>> t[t.subject_id == "person/lu-qi"][["start", "end", "role"]].values.tolist()
    [['2017', '2018-05', None], ['2017', '2018-05', 'COO'], ['2017', '2018-05', 'Group President']]
    """
    df = timeline(graph, lang)
    spans = df[df.event.isin(["joined", "left"])]
    rows: dict[str, dict[str, Any]] = {}
    for row in spans.itertuples(index=False):
        entry = rows.setdefault(
            row.fact,
            {
                "subject_id": row.subject_id,
                "subject": row.subject,
                "object_id": row.object_id,
                "object": row.object,
                "role": row.role,
                "start": None,
                "end": None,
                "quote": row.quote,
                "fact": row.fact,
            },
        )
        entry["start" if row.event == "joined" else "end"] = row.date
    ordered = sorted(
        rows.values(),
        key=lambda r: (r["subject_id"], r["object_id"], r["role"] or "", r["start"] or ""),
    )
    return _frame(ordered, _TENURE_COLUMNS)


_TENURE_COLUMNS = (
    "subject_id",
    "subject",
    "object_id",
    "object",
    "role",
    "start",
    "end",
    "quote",
    "fact",
)

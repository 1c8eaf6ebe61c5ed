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

The graph is read in each language by :mod:`kg.analysis.facts` (which also gives
the figures and tenures tables); pandas is imported inside the functions only. Who was
where, when, is drawn by the talent-flow chart (:mod:`kg.analysis.flowchart`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.analysis.facts import _BY, EVENTS, _date_key, _frame, _Reader, _roles_text
from kg.project.namespaces import BASE
from kg.sources.clean import to_traditional

if TYPE_CHECKING:
    import pandas as pd
    from rdflib import Graph

__all__ = ["ABOUT", "COLUMNS", "timeline"]


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


# The roles taken or given up with a tenure's start or end.
_ROLE = {
    "joined": {"en": " as {r}", "zh-Hans": ",任{r}", "zh-Hant": ",任{r}"},
    "moved": {"en": " as {r}", "zh-Hans": ",任{r}", "zh-Hant": ",任{r}"},
    "left": {"en": ", stepping down as {r}", "zh-Hans": ",卸任{r}", "zh-Hant": ",卸任{r}"},
}


_STATUS = {
    "listed": {"zh-Hans": "已上市", "zh-Hant": "已上市"},
    "queued for listing": {"zh-Hans": "排队上市", "zh-Hant": "排隊上市"},
    "planned IPO": {"zh-Hans": "计划IPO", "zh-Hant": "計劃IPO"},
}


# The order of events on the same date: a tenure starts before anything else.
_ORDER = {
    k: i
    for i, k in enumerate(
        ["joined", "moved", "took role", "recruited", "founded", "independent", "left"]
    )
}


_ORDER["stepped down"] = _ORDER["left"]


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
    >>> from kg.analysis.facts import example_graph
    >>> g = example_graph()
    >>> df = timeline(g, lang="en")
    >>> lu = df[df.subject_id == "person/lu-qi"]
    >>> for row in lu.itertuples():
    ...     print(row.date, row.description)
    2017-01 Qi Lu joined Baidu
    2017-01-17 Qi Lu became COO and Group President of Baidu
    2018-05 Qi Lu stepped down as COO and Group President of Baidu
    2018-05-18 Qi Lu left Baidu
    2018-08 Qi Lu became CEO of Y Combinator China
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
    return _frame(_one_row_per_event(rows), COLUMNS)


def _one_row_per_event(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row for rows that say the same thing on the same date: sources whose statements stay
    apart (where others disagree on the date) still make one event, with all their quotes and
    facts."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    keys = ("date", "end", "event", "description", "subject_id", "object_id", "role", "value")
    for row in rows:
        key = tuple(str(row.get(k)) for k in keys)
        if key not in merged:
            merged[key] = row
            continue
        first = merged[key]
        first["facts"] = first["facts"] + [f for f in row["facts"] if f not in first["facts"]]
        quotes = first["quotes"] + [q for q in row["quotes"] if q not in first["quotes"]]
        first["quotes"] = quotes
        first["quote"] = " … ".join(quotes)
    return list(merged.values())

"""What the diaspora report holds, gathered from the graph (:func:`_report`).

For :func:`kg.analysis.report.diaspora_report`: the organisation's group, its
alumni and where each went, the companies they founded with their figures, the
undated figures, the most linked entities of the report's scope
(:func:`report_scope`) with the relations that link them, the timeline, and the
sources of each quote shown (where the graph has several). Every entity is
``{"id": …, "name": …}`` in the report's language.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["report_scope"]


# How an entity is linked, from its own side: (relation, outgoing?) -> words.
_LINKS: dict[tuple[str, bool], dict[str, str]] = {
    ("alumniOf", True): {"en": "worked at", "zh-Hans": "曾任职于", "zh-Hant": "曾任職於"},
    ("alumniOf", False): {"en": "former staff", "zh-Hans": "前员工", "zh-Hant": "前員工"},
    ("worksFor", True): {"en": "works for", "zh-Hans": "任职于", "zh-Hant": "任職於"},
    ("worksFor", False): {"en": "staff", "zh-Hans": "员工", "zh-Hant": "員工"},
    ("role", True): {"en": "holds a role at", "zh-Hans": "任职务于", "zh-Hant": "任職務於"},
    ("role", False): {"en": "role holders", "zh-Hans": "任职者", "zh-Hant": "任職者"},
    ("founder", True): {"en": "founders", "zh-Hans": "创始人", "zh-Hant": "創始人"},
    ("founder", False): {"en": "founded", "zh-Hans": "创立", "zh-Hant": "創立"},
    ("parentOrganization", True): {"en": "parent", "zh-Hans": "母公司", "zh-Hant": "母公司"},
    ("parentOrganization", False): {"en": "subsidiaries", "zh-Hans": "子公司", "zh-Hant": "子公司"},
    ("spunOffFrom", True): {"en": "spun off from", "zh-Hans": "独立自", "zh-Hant": "獨立自"},
    ("spunOffFrom", False): {
        "en": "spin-offs",
        "zh-Hans": "独立出的公司",
        "zh-Hant": "獨立出的公司",
    },
    ("manufacturer", True): {"en": "maker", "zh-Hans": "研发方", "zh-Hant": "研發方"},
    ("manufacturer", False): {"en": "products", "zh-Hans": "产品", "zh-Hant": "產品"},
    ("customerOf", True): {"en": "suppliers", "zh-Hans": "供应商", "zh-Hant": "供應商"},
    ("customerOf", False): {"en": "customers", "zh-Hans": "客户", "zh-Hant": "客戶"},
    ("partnerOf", True): {"en": "partners", "zh-Hans": "合作伙伴", "zh-Hant": "合作夥伴"},
    ("partnerOf", False): {"en": "partners", "zh-Hans": "合作伙伴", "zh-Hant": "合作夥伴"},
    ("competitorOf", True): {"en": "rivals", "zh-Hans": "竞争对手", "zh-Hant": "競爭對手"},
    ("competitorOf", False): {"en": "rivals", "zh-Hans": "竞争对手", "zh-Hant": "競爭對手"},
    ("listedOn", True): {"en": "listed on", "zh-Hans": "上市地", "zh-Hant": "上市地"},
    ("listedOn", False): {"en": "listed companies", "zh-Hans": "上市公司", "zh-Hant": "上市公司"},
    ("recruited", True): {"en": "recruited", "zh-Hans": "招揽", "zh-Hant": "招攬"},
    ("recruited", False): {"en": "recruited by", "zh-Hans": "被招揽自", "zh-Hant": "被招攬自"},
}


_LINK_ORDER = ["founder", "worksFor", "alumniOf", "role", "parentOrganization", "spunOffFrom"]


_CJK = re.compile(r"[\u3400-\u9fff]")


def _english_former_name(graph: Graph, entity: str, english: str, former: str) -> str | None:
    """The English alternate label that names *former*, if the registry holds one.

    A former name written in Chinese has no English form in the statement; the
    entity's English alternate labels (each with its own public source) hold it
    when one of them is not a variant of the current English name
    (``JingChi`` for 景驰科技, beside ``WeRide Inc.``).
    """
    if not _CJK.search(former):
        return former
    from rdflib import URIRef
    from rdflib.namespace import SKOS

    from kg.project.namespaces import BASE

    def key(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    current = key(english)
    found = [
        str(o)
        for o in graph.objects(URIRef(BASE + entity), SKOS.altLabel)
        if getattr(o, "language", None) == "en" and current not in key(str(o))
    ]
    return min(found, key=lambda t: (len(t), t)) if found and current else None


def _report(graph: Graph, G: Any, org: str, lang: str, top: int) -> dict[str, Any]:
    """:func:`diaspora_report` of *graph*, whose entity graph is *G*."""
    from kg.analysis import measures as analysis
    from kg.analysis.diaspora import Alumnus, diaspora
    from kg.analysis.facts import figures
    from kg.analysis.timeline import timeline

    d = diaspora(G, org)

    def ent(n: str) -> dict[str, str]:
        return {"id": n, "name": analysis.label(G, n, lang)}

    def role_name(role: str) -> str:
        for _, _, x in G.edges(data=True):
            if x.get("role") == role:
                return str(x.get(f"label_{lang}") or role)
        return role

    figs = figures(graph, lang)
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for row in figs.to_dict(orient="records"):
        by_subject.setdefault(row["subject_id"], []).append(
            {
                "description": row["description"],
                "short": f"{row['label']}{': ' if lang == 'en' else ':'}{row['value']}",
                "date": row["date"],
                "end": row["end"],
                "quotes": row["quotes"],
            }
        )

    def undated(entity: str) -> list[dict[str, Any]]:
        return [f for f in by_subject.get(entity, []) if not f["date"]]

    def how_related(other: str) -> str:
        for u, v, x in G.edges(data=True):
            if x["relation"] == "parentOrganization" and {u, v} == {other, d.org}:
                return "subsidiary" if u == other else "parent"
        return "sibling"

    def evidence_between(a: str, b: str) -> list[str]:
        """The quotes of the subsidiary facts between *a* and *b*."""
        facts = [*G.get_edge_data(a, b, default={}).values()]
        facts += [*G.get_edge_data(b, a, default={}).values()]
        return list(
            dict.fromkeys(
                q for x in facts if x["relation"] == "parentOrganization" for q in x["evidence"]
            )
        )

    group = [
        {
            **ent(o),
            "relation": how_related(o),
            "evidence": evidence_between(o, d.org),
            "figures": undated(o),
        }
        for o in d.group
    ]
    relation_of = {g["id"]: g["relation"] for g in group}

    def went(a: Alumnus) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {"how": "founded", "org": ent(c), "inside_group": c in relation_of} for c in a.founded
        ]
        for o, how in [*((o, "joined") for o in a.joined), *((o, "moved") for o in a.moved_to)]:
            facts = list(G.get_edge_data(a.id, o, default={}).values())
            roles = sorted({role_name(x["role"]) for x in facts if x.get("role")})
            starts = sorted({x["start"] for x in facts if x.get("start")})
            out.append(
                {
                    "how": how,
                    "org": ent(o),
                    "inside_group": how == "moved",
                    "relation_to_org": relation_of.get(o),
                    "roles": roles,
                    "start": starts[0] if starts else None,
                    "evidence": list(dict.fromkeys(q for x in facts for q in x["evidence"])),
                }
            )
        return out

    alumni = [
        {
            **ent(a.id),
            "start": a.start,
            "end": a.end,
            "roles": [{"name": role_name(r), "start": s, "end": e} for r, s, e in a.role_periods],
            "went": went(a),
            "left_group": a.left_group,
            "figures": undated(a.id),
            "evidence": a.evidence,
        }
        for a in d.alumni
    ]
    companies = []
    for c in d.companies:
        english = analysis.label(G, c.id, "en")
        former = []
        for name in c.former_names:
            if lang == "en":
                name = _english_former_name(graph, c.id, english, name) or ""
            elif lang == "zh-Hant":
                from kg.sources.clean import to_traditional

                name = to_traditional(name)
            former.append(name)
        companies.append(
            {
                **ent(c.id),
                "founders": [ent(p) for p in c.founders],
                "alumni_founders": [ent(p) for p in c.alumni_founders],
                "founded": c.founded,
                "listed_on": [ent(m) for m in c.listed_on],
                "listing_status": c.listing_status,
                "former_names": [n for n in former if n],
                "renamed": bool(c.former_names),
                "rival": c.rival,
                "figures": by_subject.get(c.id, []),
                "evidence": c.evidence,
            }
        )
    covered = {d.org, *relation_of, *(a.id for a in d.alumni), *(c.id for c in d.companies)}
    scope = report_scope(G, d)
    events = timeline(graph, lang, about=scope)
    report = {
        "org": ent(d.org),
        "lang": lang,
        "group": group,
        "alumni": alumni,
        "departures": [ent(p) for p in d.departures],
        "moved_within_group": [ent(a.id) for a in d.alumni if a.moved_to and not a.left_group],
        "founders": [ent(p) for p in d.founders],
        "companies": companies,
        "cofounders": [{"company": ent(c), "people": [ent(p), ent(q)]} for p, q, c in d.cofounders],
        "time_to_founding": [
            {**t, "person": ent(t["person"]), "company": ent(t["company"])}
            for t in d.time_to_founding
        ],
        "undated_figures": [
            {**ent(s), **f}
            for s in sorted(by_subject)
            if s in covered or (s in G and _made_by(G, s) & covered)
            for f in undated(s)
        ],
        "most_linked": _most_linked(G, lang, top, scope),
        "timeline": _at_their_dates(
            [
                _cite_the_date(graph, lang, {k: (None if v is None else v) for k, v in row.items()})
                for row in events.to_dict(orient="records")
            ],
            graph,
            lang,
        ),
    }
    report["cite"] = _citations(graph, lang, _quotes_in(report))
    return report


#: Timeline events whose date is one end of a tenure or a role: the row cites the quotes
#: that state that date, not every quote of the tenure (a joining is not told by the
#: sentence of the departure).
_TENURE_EVENTS = frozenset({"joined", "moved", "took role", "left", "stepped down"})
#: A fact's date properties and the links to the quotes that give each.
_DATE_FROM = (
    ("schema:startDate", "kg:startDateFrom"),
    ("schema:endDate", "kg:endDateFrom"),
    ("kg:date", "kg:dateFrom"),
)


def _at_their_dates(rows: list[dict[str, Any]], graph: Graph, lang: str) -> list[dict[str, Any]]:
    """The timeline with each figure given over a span but taken at one end of it (a share
    price at the start; partners "from 50 to 116") shown at that date alone
    (:meth:`kg.analysis.facts._Reader.span_point`), in date order."""
    from kg.analysis.facts import _date_key, _Reader

    reader = _Reader(graph, lang)
    out = []
    for row in rows:
        if row.get("event") in ("figure", "forecast") and row.get("end"):
            node = reader._uri(row["fact"])
            measure = reader.value(node, "kg:measure") or ""
            point = reader.span_point(node, measure, row["date"], row["end"])
            if point:
                row = {**row, "date": point, "end": None, "year": int(point[:4])}
        out.append(row)
    return sorted(out, key=lambda r: _date_key(r["date"]))


def _cite_the_date(graph: Graph, lang: str, row: dict[str, Any]) -> dict[str, Any]:
    """*row* of the timeline, citing for a tenure's start or end only the quotes that state
    its date (:func:`kg.analysis.facts.stating`); with ``date_quoted`` False (and all the
    tenure's quotes) where no quote writes the date's year."""
    if row.get("event") not in _TENURE_EVENTS:
        return row
    from kg.analysis.facts import _Reader, stating

    reader = _Reader(graph, lang)
    nodes = [reader._uri(f) for f in row.get("facts") or []]
    # the quotes of the statements that give this very date (kg:startDateFrom …), if any
    found = [
        pair
        for node in nodes
        for key, via in _DATE_FROM
        if str(reader.value(node, key) or "") == row["date"]
        for pair in reader.sourced_quotes([node], via)
    ] or reader.sourced_quotes(nodes)
    quotes = stating(found, row["date"])
    if quotes:
        return {**row, "quotes": quotes, "quote": " … ".join(quotes), "date_quoted": True}
    return {**row, "date_quoted": False}


def report_scope(G: Any, d: Any) -> set[str]:
    """The entities the timeline and the most linked of a report are about.

    The organisation, its group, its alumni, the companies they founded (the
    report's own entities) and every entity linked to the group by a fact (its
    staff, founders, products, customers, rivals). The report reads nothing
    else, so that it can be made from the organisation's neighbourhood
    (:mod:`kg.analysis.neighbourhood`) as well as from the whole graph.
    """
    group = {d.org, *d.group}
    scope = {*group, *(a.id for a in d.alumni), *(c.id for c in d.companies)}
    for u, v in G.edges():
        if u in group or v in group:
            scope.update((u, v))
    return scope


def _quotes_in(value: Any) -> set[str]:
    """Every quote a report shows (its ``evidence`` and ``quotes`` lists)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("evidence", "quotes") and isinstance(item, list):
                found.update(q for q in item if isinstance(q, str))
            else:
                found |= _quotes_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= _quotes_in(item)
    return found


def _citations(graph: Graph, lang: str, quotes: set[str] | None = None) -> dict[str, str]:
    """``{quote: the sources that hold it}`` for *quotes* (default all), where the graph has
    several sources (with one, every quote is the article's and is shown bare)."""
    from rdflib import URIRef
    from rdflib.namespace import RDF, RDFS

    from kg.project.namespaces import PREFIXES

    schema, oa = PREFIXES["schema"], PREFIXES["oa"]
    works = list(graph.subjects(RDF.type, URIRef(schema + "CreativeWork")))
    if len(works) < 2:
        return {}

    def said(node: Any, prop: Any) -> str:
        found = {getattr(o, "language", None): str(o) for o in graph.objects(node, prop)}
        for key in (lang, "zh-Hans", "en", None):
            if key in found:
                return found[key]
        return next(iter(found.values()), "")

    per_publisher: dict[Any, int] = {}
    for w in works:
        pub = graph.value(w, URIRef(schema + "publisher"))
        per_publisher[pub] = per_publisher.get(pub, 0) + 1
    names = {}
    for w in works:
        pub = graph.value(w, URIRef(schema + "publisher"))
        who = said(pub, RDFS.label) if pub is not None else ""
        title = said(w, URIRef(schema + "headline"))
        names[w] = f"{who} · {title}" if per_publisher[pub] > 1 or not who else who
    cite: dict[str, list[str]] = {}
    for span, work in graph.subject_objects(URIRef(oa + "hasSource")):
        for selector in graph.objects(span, URIRef(oa + "hasSelector")):
            exact = graph.value(selector, URIRef(oa + "exact"))
            if exact is None or (quotes is not None and str(exact) not in quotes):
                continue
            if names.get(work) not in cite.setdefault(str(exact), []):
                cite[str(exact)].append(names[work])
    return {q: "; ".join(sorted(w)) for q, w in sorted(cite.items())}


def _made_by(G: Any, product: str) -> set[str]:
    return {v for _, v, x in G.out_edges(product, data=True) if x["relation"] == "manufacturer"}


def _most_linked(
    G: Any, lang: str, top: int, within: set[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The *top* organisations and people (of *within*, default all) by number of linked
    entities, with the relations."""
    from kg.analysis.measures import label

    out: dict[str, list[dict[str, Any]]] = {}
    for kind, key in (("Organization", "organizations"), ("Person", "people")):
        rows = []
        for n, data in G.nodes(data=True):
            if data["type"] != kind or (within is not None and n not in within):
                continue
            neighbours: dict[str, tuple[int, str]] = {}
            for u, v, x in [*G.out_edges(n, data=True), *G.in_edges(n, data=True)]:
                other = v if u == n else u
                if other == n:
                    continue
                words = _LINKS.get((x["relation"], u == n))
                word = words[lang] if words else str(x.get(f"label_{lang}") or x["relation"])
                rank = _LINK_ORDER.index(x["relation"]) if x["relation"] in _LINK_ORDER else 99
                if other not in neighbours or rank < neighbours[other][0]:
                    neighbours[other] = (rank, word)
            counts = Counter(word for _, word in neighbours.values())
            rows.append(
                {
                    "id": n,
                    "name": label(G, n, lang),
                    "links": len(neighbours),
                    "by": [
                        {"relation": r, "count": c}
                        for r, c in sorted(counts.items(), key=lambda rc: (-rc[1], rc[0]))
                    ],
                }
            )
        rows.sort(key=lambda r: (-r["links"], r["id"]))
        out[key] = rows[:top]
    return out

"""The talent-diaspora report of ``kg analyze``: plain data, and the same as Markdown.

:func:`diaspora_report` gathers, for one organisation, what the graph says and
nothing more: its group (subsidiaries and parents: a move between them is not
a departure), its alumni with where each went and whether that is inside or
outside the group, the companies they founded with the figures the article
gives about them (a rank, listings, a former name), the figures without a date
(which the timeline cannot show), the most linked entities with the relations
that link them, and the timeline (one event, one row, with all its quotes). The
last two are those of the report's scope (:func:`report_scope`: the organisation's
group, everything linked to it, its alumni and their companies), so the report
reads nothing beyond the organisation's neighbourhood, and a store need only give
that (:mod:`kg.analysis.neighbourhood`).
:func:`render_markdown` writes it in the report's language: headings and text
all in zh-Hans, zh-Hant or English.

Nothing here imports networkx or pandas at module level; the measures come
from :mod:`kg.analysis.measures`, the timeline from :mod:`kg.analysis.timeline`.
"""

from __future__ import annotations

import contextvars
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from kg.analysis.projection import LANGS
from kg.errors import KGError

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.query.store import KGStore

__all__ = ["WORDS", "diaspora_report", "render_markdown", "report_scope"]

#: Every word of the Markdown report, in each language.
WORDS: dict[str, dict[str, str]] = {
    "title": {
        "en": "Where {org}'s people went",
        "zh-Hans": "{org}人才去向",
        "zh-Hant": "{org}人才去向",
    },
    "summary": {
        "en": "{alumni} alumni of {org} in the graph: {left} left the group, {moved} moved "
        "inside it; {founders} founded {companies} companies.",
        "zh-Hans": "图谱中{org}的前员工{alumni}人:{left}人离开集团,{moved}人在集团内调动;"
        "{founders}人创立了{companies}家公司。",
        "zh-Hant": "圖譜中{org}的前員工{alumni}人:{left}人離開集團,{moved}人在集團內調動;"
        "{founders}人創立了{companies}家公司。",
    },
    "group": {"en": "The {org} group", "zh-Hans": "{org}旗下", "zh-Hant": "{org}旗下"},
    "subsidiary": {"en": "subsidiary", "zh-Hans": "子公司", "zh-Hant": "子公司"},
    "parent": {"en": "parent", "zh-Hans": "母公司", "zh-Hant": "母公司"},
    "sibling": {"en": "same group", "zh-Hans": "同属集团", "zh-Hant": "同屬集團"},
    "alumni": {"en": "Alumni ({n})", "zh-Hans": "前员工({n}人)", "zh-Hant": "前員工({n}人)"},
    "alumni_head": {
        "en": "| alumnus | at {org} | roles there | then | inside the group? | evidence |",
        "zh-Hans": "| 前员工 | 在{org}期间 | 在{org}的职务 | 去向 | 是否仍在集团内 | 原文 |",
        "zh-Hant": "| 前員工 | 在{org}期間 | 在{org}的職務 | 去向 | 是否仍在集團內 | 原文 |",
    },
    "undated": {"en": "dates not given", "zh-Hans": "未注明时间", "zh-Hant": "未註明時間"},
    "role_from": {
        "en": "{r} (took the role in {s})",
        "zh-Hans": "{r}({s}年出任)",
        "zh-Hant": "{r}({s}年出任)",
    },
    "role_span": {"en": "{r} ({s}–{e})", "zh-Hans": "{r}({s}至{e})", "zh-Hant": "{r}({s}至{e})"},
    "role_to": {"en": "{r} (until {e})", "zh-Hans": "{r}(至{e}卸任)", "zh-Hant": "{r}(至{e}卸任)"},
    "founded": {"en": "founded {o}", "zh-Hans": "创立{o}", "zh-Hant": "創立{o}"},
    "joined": {"en": "worked at {o}", "zh-Hans": "任职于{o}", "zh-Hant": "任職於{o}"},
    "moved": {
        "en": "moved to {o} ({how} of {org})",
        "zh-Hans": "转到{o}({org}{how})",
        "zh-Hant": "轉到{o}({org}{how})",
    },
    "as_role": {"en": " as {r}", "zh-Hans": ",任{r}", "zh-Hant": ",任{r}"},
    "since": {"en": ", from {d}", "zh-Hans": ",{d}年起", "zh-Hant": ",{d}年起"},
    "unknown_where": {"en": "not in the sources", "zh-Hans": "来源未提及", "zh-Hant": "來源未提及"},
    "yes_inside": {"en": "yes", "zh-Hans": "是", "zh-Hant": "是"},
    "no_left": {"en": "no: left", "zh-Hans": "否,已离开", "zh-Hant": "否,已離開"},
    "companies": {
        "en": "Companies founded by alumni ({n})",
        "zh-Hans": "前员工创立的公司({n}家)",
        "zh-Hant": "前員工創立的公司({n}家)",
    },
    "companies_head": {
        "en": "| company | founders | founded | listed on | what the sources say of it "
        "| evidence |",
        "zh-Hans": "| 公司 | 创始人 | 创立时间 | 上市地 | 来源所述 | 原文 |",
        "zh-Hant": "| 公司 | 創始人 | 創立時間 | 上市地 | 來源所述 | 原文 |",
    },
    "formerly": {"en": "formerly {v}", "zh-Hans": "原名{v}", "zh-Hant": "原名{v}"},
    "renamed": {"en": "renamed", "zh-Hans": "曾更名", "zh-Hant": "曾更名"},
    "rival": {"en": "a rival of {org}", "zh-Hans": "{org}的劲敌", "zh-Hant": "{org}的勁敵"},
    "no_founding_dates": {
        "en": "The sources do not date both a founder's time at the organisation and the "
        "founding, so the time from leaving to founding cannot be measured.",
        "zh-Hans": "来源没有同时给出创始人在该机构的任职时间和公司的创立时间,"
        "因此无法计算从离职到创业相隔多久。",
        "zh-Hant": "來源沒有同時給出創始人在該機構的任職時間和公司的創立時間,"
        "因此無法計算從離職到創業相隔多久。",
    },
    "time_to_founding": {
        "en": "- {p} → {c} (founded {d}): {l} years after leaving, {j} after joining",
        "zh-Hans": "- {p} → {c}({d}创立):离职后{l}年,加入后{j}年",
        "zh-Hant": "- {p} → {c}({d}創立):離職後{l}年,加入後{j}年",
    },
    "cofounders": {"en": "Co-founders", "zh-Hans": "联合创始人", "zh-Hant": "聯合創始人"},
    "undated_figures": {
        "en": "Figures the sources give without a date",
        "zh-Hans": "来源未注明时间的数据",
        "zh-Hant": "來源未註明時間的數據",
    },
    "figures_head": {
        "en": "| about | figure | evidence |",
        "zh-Hans": "| 对象 | 数据 | 原文 |",
        "zh-Hant": "| 對象 | 數據 | 原文 |",
    },
    "links": {"en": "Most linked", "zh-Hans": "关联最多", "zh-Hant": "關聯最多"},
    "links_note": {
        "en": "How many other entities the sources link each one to, and by which facts.",
        "zh-Hans": "来源中与每个实体相关联的其他实体数量,以及关联方式。",
        "zh-Hant": "來源中與每個實體相關聯的其他實體數量,以及關聯方式。",
    },
    "links_head": {
        "en": "| entity | linked to | by |",
        "zh-Hans": "| 实体 | 关联实体数 | 关联方式 |",
        "zh-Hant": "| 實體 | 關聯實體數 | 關聯方式 |",
    },
    "timeline": {
        "en": "Timeline ({n} dated events)",
        "zh-Hans": "时间线({n}个有日期的事件)",
        "zh-Hant": "時間線({n}個有日期的事件)",
    },
    "timeline_head": {
        "en": "| date | what | evidence |",
        "zh-Hans": "| 时间 | 事件 | 原文 |",
        "zh-Hant": "| 時間 | 事件 | 原文 |",
    },
    "none": {"en": "none", "zh-Hans": "无", "zh-Hant": "無"},
}
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
_SEP = {"en": ", ", "zh-Hans": "、", "zh-Hant": "、"}
_COLON = {"en": ": ", "zh-Hans": ":", "zh-Hant": ":"}
_NOTE_SEP = {"en": "; ", "zh-Hans": ";", "zh-Hant": ";"}
_CJK = re.compile(r"[\u3400-\u9fff]")


def _w(key: str, lang: str, **values: Any) -> str:
    return WORDS[key][lang].format(**values)


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


def diaspora_report(
    graph: Graph | KGStore, org: str = "org/baidu", lang: str = "zh-Hans", *, top: int = 5
) -> dict[str, Any]:
    """Everything ``kg analyze`` shows, as JSON-ready plain data.

    The report reads only the organisation's neighbourhood (:func:`report_scope`): given
    a store, it asks the store for that part alone (:func:`kg.neighbourhood.neighbourhood`)
    and gives the same report as on the whole graph.

    Parameters
    ----------
    graph : rdflib.Graph or KGStore
        The built graph (the timeline and figures are read from it), or a store opened
        with :func:`kg.query.store.open_store` (Oxigraph, or a SPARQL endpoint such as Virtuoso).
    org : str
        The organisation whose diaspora to report (id, end of id or name; for a store,
        an id or any of its names as :func:`kg.query.lookup.find_entity` reads them).
    lang : {"zh-Hans", "zh-Hant", "en"}
        Language of every name and description.
    top : int
        How many organisations and people to list as most linked.

    Returns
    -------
    dict
        ``org``, ``lang``; ``group`` (the organisations of *org*'s group, each
        with how it relates and its undated figures); ``alumni`` (each with its
        dated tenure, roles with the dates the source gives, where they went —
        founded, joined outside the group, moved inside it — ``left_group``,
        figures and evidence); ``departures`` and ``moved_within_group``;
        ``companies`` founded by alumni (founders, listings, former names in
        *lang*, rivalry, figures); ``cofounders``; ``time_to_founding``;
        ``undated_figures``; ``most_linked`` (organisations and people with the
        number of linked entities and the relations); ``timeline`` (one event,
        one row, with its quotes); ``cite`` (the sources of each quote shown, where
        the graph has several). The most linked and the timeline are those of the
        report's scope (:func:`report_scope`). Every entity is ``{"id": …, "name": …}``.

    Examples
    --------
    >>> from kg.graph.build import build_graph
    >>> from kg.project import project_root
    >>> from kg.data.statements import load_dataset
    >>> report = diaspora_report(build_graph(load_dataset(project_root() / "data")), lang="en")
    >>> [c["name"] for c in report["companies"]]
    ['DeepRoute.ai', 'HoloMatic', 'Horizon Robotics', 'Pony.ai', 'WeRide']
    >>> [p["name"] for p in report["moved_within_group"]]
    ['Ouyang Jian']
    >>> next(c for c in report["companies"] if c["id"] == "org/weride")["former_names"]
    ['JingChi']
    """
    from kg.analysis import measures as analysis
    from kg.query.store import KGStore

    if lang not in LANGS:
        raise KGError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    if isinstance(graph, KGStore):
        from kg.analysis.neighbourhood import neighbourhood
        from kg.query.lookup import find_entity

        if not org.startswith("org/"):
            org = find_entity(graph, org, "org")
        graph = neighbourhood(graph, org)
    return _report(graph, analysis.entity_graph(graph), org, lang, top)


def _report(graph: Graph, G: Any, org: str, lang: str, top: int) -> dict[str, Any]:
    """:func:`diaspora_report` of *graph*, whose entity graph is *G*."""
    from kg.analysis import measures as analysis
    from kg.analysis.timeline import figures, timeline

    d = analysis.diaspora(G, org)

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

    def went(a: analysis.Alumnus) -> list[dict[str, Any]]:
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
        "timeline": [
            {k: (None if v is None else v) for k, v in row.items()}
            for row in events.to_dict(orient="records")
        ],
    }
    report["cite"] = _citations(graph, lang, _quotes_in(report))
    return report


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


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


_CITE: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("cite", default=None)


def _quotes(quotes: list[str]) -> str:
    """The quotes, each with its sources where the report has several (``report["cite"]``)."""
    cite = _CITE.get() or {}
    shown = [f"“{q}”" + (f"({cite[q]})" if q in cite else "") for q in dict.fromkeys(quotes)]
    return _cell(" … ".join(shown)) if quotes else "—"


def render_markdown(report: dict[str, Any]) -> str:
    """The report of :func:`diaspora_report` as Markdown, every word in its language.

    Examples
    --------
    >>> from kg.graph.build import build_graph
    >>> from kg.project import project_root
    >>> from kg.data.statements import load_dataset
    >>> g = build_graph(load_dataset(project_root() / "data"))
    >>> render_markdown(diaspora_report(g, lang="zh-Hans")).splitlines()[0]
    '# 百度人才去向'
    """
    token = _CITE.set(report.get("cite") or {})
    try:
        return _render(report)
    finally:
        _CITE.reset(token)


def _render(report: dict[str, Any]) -> str:
    lang = report["lang"]
    sep = _SEP[lang]
    org = report["org"]["name"]

    def names(items: list[dict[str, Any]]) -> str:
        return _cell(sep.join(i["name"] for i in items)) if items else "—"

    alumni = report["alumni"]
    lines = [f"# {_w('title', lang, org=org)}", ""]
    lines.append(
        _w(
            "summary",
            lang,
            org=org,
            alumni=len(alumni),
            left=len(report["departures"]),
            moved=len(report["moved_within_group"]),
            founders=len(report["founders"]),
            companies=len(report["companies"]),
        )
    )
    if report["group"]:
        lines += ["", f"## {_w('group', lang, org=org)}", ""]
        for g in report["group"]:
            figs = _NOTE_SEP[lang].join(f["short"] for f in g["figures"])
            quotes = [*g["evidence"], *(q for f in g["figures"] for q in f["quotes"])]
            how = _w(g["relation"], lang)
            lines.append(
                f"- {g['name']}"
                + (f" ({how})" if lang == "en" else f"({how})")
                + (f"{_COLON[lang]}{figs}" if figs else "")
                + f" — {_quotes(quotes)}"
            )
    lines += ["", f"## {_w('alumni', lang, n=len(alumni))}", ""]
    lines += [_w("alumni_head", lang, org=_cell(org)), "|---|---|---|---|---|---|"]
    for a in alumni:
        span = "–".join(x for x in (a["start"], a["end"]) if x) or _w("undated", lang)
        if a["start"] and not a["end"]:
            span = f"{a['start']}–?"
        roles = []
        for r in a["roles"]:
            if r["start"] and r["end"]:
                roles.append(_w("role_span", lang, r=r["name"], s=r["start"], e=r["end"]))
            elif r["start"]:
                roles.append(_w("role_from", lang, r=r["name"], s=r["start"]))
            elif r["end"]:
                roles.append(_w("role_to", lang, r=r["name"], e=r["end"]))
            else:
                roles.append(r["name"])
        if a["figures"]:
            shorts = _NOTE_SEP[lang].join(f["short"] for f in a["figures"])
            span += f" ({shorts})" if lang == "en" else f"({shorts})"
        then = []
        for w in a["went"]:
            text = (
                _w(
                    "moved",
                    lang,
                    o=w["org"]["name"],
                    org=org,
                    how=_w(w["relation_to_org"] or "sibling", lang),
                )
                if w["how"] == "moved"
                else _w(w["how"], lang, o=w["org"]["name"])
            )
            if w.get("roles"):
                text += _w("as_role", lang, r=sep.join(w["roles"]))
            if w.get("start"):
                text += _w("since", lang, d=w["start"])
            then.append(text)
        inside = _w("no_left", lang) if a["left_group"] else _w("yes_inside", lang)
        quotes = [*a["evidence"], *(q for f in a["figures"] for q in f["quotes"])]
        lines.append(
            f"| {_cell(a['name'])} | {span} | {_cell(sep.join(roles)) or '—'} | "
            f"{_cell(_NOTE_SEP[lang].join(then)) or _w('unknown_where', lang)} | "
            f"{inside} | {_quotes(quotes)} |"
        )
    companies = report["companies"]
    lines += ["", f"## {_w('companies', lang, n=len(companies))}", ""]
    lines += [WORDS["companies_head"][lang], "|---|---|---|---|---|---|"]
    for c in companies:
        notes = [_w("formerly", lang, v=n) for n in c["former_names"]]
        if c["renamed"] and not c["former_names"]:
            notes.append(_w("renamed", lang))
        notes += [f["short"] for f in c["figures"]]
        if c["rival"]:
            notes.append(_w("rival", lang, org=org))
        quotes = list(
            dict.fromkeys([*c["evidence"], *(q for f in c["figures"] for q in f["quotes"])])
        )
        lines.append(
            f"| {_cell(c['name'])} | {names(c['founders'])} | {c['founded'] or '—'} | "
            f"{names(c['listed_on'])} | "
            f"{_cell(_NOTE_SEP[lang].join(notes)) or '—'} | {_quotes(quotes)} |"
        )
    lines.append("")
    if report["time_to_founding"]:
        for t in report["time_to_founding"]:
            lines.append(
                _w(
                    "time_to_founding",
                    lang,
                    p=t["person"]["name"],
                    c=t["company"]["name"],
                    d=t["founded"],
                    l=t["years_from_leaving"],
                    j=t["years_from_joining"],
                )
            )
    elif companies:
        lines.append(WORDS["no_founding_dates"][lang])
    if report["cofounders"]:
        lines += ["", f"## {WORDS['cofounders'][lang]}", ""]
        lines += [
            f"- {names(p['people'])}{_COLON[lang]}{p['company']['name']}"
            for p in report["cofounders"]
        ]
    if report["undated_figures"]:
        lines += ["", f"## {WORDS['undated_figures'][lang]}", ""]
        lines += [WORDS["figures_head"][lang], "|---|---|---|"]
        for f in report["undated_figures"]:
            lines.append(
                f"| {_cell(f['name'])} | {_cell(f['description'])} | {_quotes(f['quotes'])} |"
            )
    linked = report["most_linked"]
    lines += ["", f"## {WORDS['links'][lang]}", "", WORDS["links_note"][lang], ""]
    lines += [WORDS["links_head"][lang], "|---|---|---|"]
    for row in [*linked["organizations"], *linked["people"]]:
        by = sep.join(f"{b['relation']} ×{b['count']}" for b in row["by"])
        lines.append(f"| {_cell(row['name'])} | {row['links']} | {_cell(by)} |")
    events = report["timeline"]
    lines += ["", f"## {_w('timeline', lang, n=len(events))}", ""]
    lines += [WORDS["timeline_head"][lang], "|---|---|---|"]
    for e in events:
        date = f"{e['date']}–{e['end']}" if e["end"] else e["date"]
        lines.append(f"| {date} | {_cell(e['description'])} | {_quotes(e['quotes'])} |")
    return "\n".join(lines)

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

What the report holds is gathered by :mod:`kg.analysis.gather`; this module checks
the request and writes the report. Nothing here imports networkx or pandas at module
level; the measures come from :mod:`kg.analysis.diaspora`, the timeline from
:mod:`kg.analysis.timeline`.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

from kg.analysis.gather import _report
from kg.analysis.projection import LANGS
from kg.errors import KGError

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.query.store import KGStore

__all__ = ["WORDS", "diaspora_report", "not_dated", "not_dated_text", "render_markdown"]


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
    "until": {"en": "until {e}", "zh-Hans": "至{e}", "zh-Hant": "至{e}"},
    "role_from": {
        "en": "{r} (took the role in {s})",
        "zh-Hans": "{r}({s}出任)",
        "zh-Hant": "{r}({s}出任)",
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
    "since": {"en": ", from {d}", "zh-Hans": ",{d}起", "zh-Hant": ",{d}起"},
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
        "en": "- {p} → {c} (founded {d}): {gaps}",
        "zh-Hans": "- {p} → {c}({d}创立):{gaps}",
        "zh-Hant": "- {p} → {c}({d}創立):{gaps}",
    },
    # How long after (or before) leaving and joining a founding came, at the precision of the
    # dates: whole years where either date is a year only.
    "gap_after": {
        "en": "{n} {years} after {what}",
        "zh-Hans": "{what}后{n}年",
        "zh-Hant": "{what}後{n}年",
    },
    "gap_before": {
        "en": "{n} {years} before {what}",
        "zh-Hans": "{what}前{n}年",
        "zh-Hant": "{what}前{n}年",
    },
    "gap_same_year": {"en": "the year of {what}", "zh-Hans": "{what}当年", "zh-Hant": "{what}當年"},
    "gap_same_month": {
        "en": "the month of {what}",
        "zh-Hans": "{what}当月",
        "zh-Hant": "{what}當月",
    },
    "leaving": {"en": "leaving", "zh-Hans": "离职", "zh-Hant": "離職"},
    "joining": {"en": "joining", "zh-Hans": "加入", "zh-Hant": "加入"},
    "gap_sep": {"en": "; ", "zh-Hans": ";", "zh-Hant": ";"},
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
    "date_unquoted": {
        "en": " (no quote shown writes this date)",
        "zh-Hans": "(所引原文未写明此日期)",
        "zh-Hant": "(所引原文未寫明此日期)",
    },
    "timeline_head": {
        "en": "| date | what | evidence |",
        "zh-Hans": "| 时间 | 事件 | 原文 |",
        "zh-Hant": "| 時間 | 事件 | 原文 |",
    },
    "none": {"en": "none", "zh-Hans": "无", "zh-Hant": "無"},
    "not_dated": {
        "en": "Not dated by any source: {items}.",
        "zh-Hans": "来源均未注明时间的:{items}。",
        "zh-Hant": "來源均未註明時間的:{items}。",
    },
    "all_dated": {
        "en": "Every arrival at {org}, departure from it, move inside its group and founding "
        "here is dated by a source.",
        "zh-Hans": "此处各人加入和离开{org}、在集团内调动及所创公司的创立,来源均注明了时间。",
        "zh-Hant": "此處各人加入和離開{org}、在集團內調動及所創公司的創立,來源均註明了時間。",
    },
    "nd_joined": {
        "en": "the arrival at {org} of {names}",
        "zh-Hans": "{names}加入{org}",
        "zh-Hant": "{names}加入{org}",
    },
    "nd_left": {
        "en": "the departure from {org} of {names}",
        "zh-Hans": "{names}离开{org}",
        "zh-Hant": "{names}離開{org}",
    },
    "nd_moved": {
        "en": "the move inside the group of {names}",
        "zh-Hans": "{names}在集团内调动",
        "zh-Hant": "{names}在集團內調動",
    },
    "nd_founded": {
        "en": "the founding of {names}",
        "zh-Hans": "{names}的创立",
        "zh-Hant": "{names}的創立",
    },
}


_SEP = {"en": ", ", "zh-Hans": "、", "zh-Hant": "、"}


_COLON = {"en": ": ", "zh-Hans": ":", "zh-Hant": ":"}


_NOTE_SEP = {"en": "; ", "zh-Hans": ";", "zh-Hant": ";"}


#: Templates that read a date as Chinese prose ("2013年7月出任"), not as a column's ISO value.
_PROSE_DATES = frozenset({"role_from", "since"})


def _w(key: str, lang: str, **values: Any) -> str:
    if key in _PROSE_DATES and lang.startswith("zh"):
        values = {k: _zh_date(v) if k in ("s", "d") else v for k, v in values.items()}
    return WORDS[key][lang].format(**values)


def _zh_date(value: Any) -> str:
    """An ISO date at its own precision, written in Chinese: 2013 → 2013年, 2013-07 →
    2013年7月, 2013-07-05 → 2013年7月5日 (nothing added that the date does not give).

    >>> [_zh_date(d) for d in ("2013", "2013-07", "2013-07-05")]
    ['2013年', '2013年7月', '2013年7月5日']
    """
    parts = str(value).split("-")
    if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 3:
        return str(value)
    return "".join(f"{int(p)}{unit}" for p, unit in zip(parts, "年月日", strict=False))


def not_dated(report: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The dates the sources do not give, from the facts of *report*: whose joining of the
    organisation, whose departure from its group, whose move inside it and which
    foundings no source dates (``joined``, ``left``, ``moved``, ``founded``; each a list of
    ``{"id": …, "name": …}``). A move inside the group is not a departure, and a role's
    start is not a joining, so neither stands in for the date missing.

    >>> report = {"alumni": [
    ...     {"id": "p/a", "name": "A", "start": "2010", "end": None, "left_group": True,
    ...      "went": []},
    ...     {"id": "p/b", "name": "B", "start": None, "end": "2016", "left_group": True,
    ...      "went": [{"how": "moved", "org": {"id": "o/s", "name": "S"}, "start": None}]}],
    ...     "companies": [{"id": "o/x", "name": "X", "founded": None},
    ...                   {"id": "o/y", "name": "Y", "founded": "2017"}]}
    >>> {k: [e["name"] for e in v] for k, v in not_dated(report).items()}
    {'joined': ['B'], 'left': ['A'], 'moved': ['B'], 'founded': ['X']}
    """

    def ent(item: dict[str, Any]) -> dict[str, str]:
        return {"id": item["id"], "name": item["name"]}

    alumni = report["alumni"]
    return {
        "joined": [ent(a) for a in alumni if not a["start"]],
        "left": [ent(a) for a in alumni if a["left_group"] and not a["end"]],
        "moved": [
            ent(a)
            for a in alumni
            if any(w["how"] == "moved" and not w.get("start") for w in a["went"])
        ],
        "founded": [ent(c) for c in report["companies"] if not c["founded"]],
    }


def not_dated_text(report: dict[str, Any]) -> str:
    """One sentence, in the report's language, naming the dates no source gives
    (:func:`not_dated`): what the report says first.

    Examples
    --------
    >>> from kg.analysis.facts import example_graph
    >>> g = example_graph()
    >>> text = not_dated_text(diaspora_report(g, lang="en"))
    >>> text.startswith("Not dated by any source: the arrival at Baidu of ")
    True
    >>> "Qi Lu" in text  # his joining and his departure are both dated
    False
    """
    lang, org = report["lang"], report["org"]["name"]
    missing = report.get("not_dated") or not_dated(report)
    items = [
        _w(f"nd_{key}", lang, org=org, names=_SEP[lang].join(e["name"] for e in missing[key]))
        for key in ("joined", "left", "moved", "founded")
        if missing[key]
    ]
    if not items:
        return _w("all_dated", lang, org=org)
    return _w("not_dated", lang, items=_NOTE_SEP[lang].join(items))


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
    >>> from kg.analysis.facts import example_graph
    >>> report = diaspora_report(example_graph(), lang="en")
    >>> [c["name"] for c in report["companies"]]  # doctest: +NORMALIZE_WHITESPACE
    ['DeepLearning.AI', 'DeepRoute.ai', 'HoloMatic', 'Horizon Robotics', 'Landing AI', 'Pony.ai',
     'Roadstar.ai', 'WeRide', 'Y Combinator China']
    >>> [p["name"] for p in report["moved_within_group"]]
    ['Ouyang Jian']
    >>> "JingChi" in next(c for c in report["companies"] if c["id"] == "org/weride")["former_names"]
    True
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
    report = _report(graph, analysis.entity_graph(graph), org, lang, top)
    report["not_dated"] = not_dated(report)
    return report


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
    >>> from kg.analysis.facts import example_graph
    >>> g = example_graph()
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
    lines += ["", f"> {_cell(not_dated_text(report))}"]
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
        elif a["end"] and not a["start"]:  # a known departure, not a tenure of that one date
            span = _w("until", lang, e=a["end"])
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
                    gaps=_gaps(t, lang),
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
        what = e["description"] + (
            WORDS["date_unquoted"][lang] if e.get("date_quoted") is False else ""
        )
        lines.append(f"| {date} | {_cell(what)} | {_quotes(e['quotes'])} |")
    return "\n".join(lines)


def _gaps(t: dict[str, Any], lang: str) -> str:
    """How long after leaving and after joining a founding came: only the spans the dates
    give (none is shown for a date the sources do not give), never a negative number."""
    said = []
    for key, what in (("years_from_leaving", "leaving"), ("years_from_joining", "joining")):
        n = t.get(key)
        if n is None:
            continue
        if n == 0:
            kind = "gap_same_year" if isinstance(n, int) else "gap_same_month"
            said.append(WORDS[kind][lang].format(what=WORDS[what][lang]))
        else:
            kind = "gap_after" if n > 0 else "gap_before"
            shown = f"{abs(n):g}"
            years = "year" if shown == "1" else "years"
            said.append(WORDS[kind][lang].format(n=shown, years=years, what=WORDS[what][lang]))
    return WORDS["gap_sep"][lang].join(said)

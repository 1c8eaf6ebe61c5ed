"""Viz: the plain data the graph page is made from, and how types and relations look.

:class:`VizGraph` holds the nodes, edges and texts of one page (:mod:`kg.viz.page` draws
it); the presentation tables give each entity type its shape and colours and each relation
its line, in each of :data:`LANGS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kg.errors import KGError

__all__ = [
    "LANGS",
    "RELATION_STYLES",
    "TYPE_NAMES",
    "TYPE_STYLES",
    "VizEdge",
    "VizGraph",
    "VizNode",
    "VizQuote",
    "VizSource",
    "relation_style",
]

LANGS = ("zh-Hans", "zh-Hant", "en")

# --- presentation tables (how types and relations look, in each language) -----------

#: Node style by entity type: vis-network shape, fill and border colour (Okabe–Ito based).
TYPE_STYLES: dict[str, dict[str, str]] = {
    "Person": {"shape": "dot", "fill": "#F0A030", "border": "#A96400"},
    "Organization": {"shape": "square", "fill": "#3A8FD9", "border": "#1D5E9A"},
    "Product": {"shape": "diamond", "fill": "#2BAE84", "border": "#17775A"},
    "StockMarket": {"shape": "triangle", "fill": "#C8629E", "border": "#8E3B6C"},
    "Other": {"shape": "dot", "fill": "#A0A0A0", "border": "#6B6B6B"},
}
_TYPE_ORDER = ("Person", "Organization", "Product", "StockMarket", "Other")
TYPE_NAMES: dict[str, dict[str, str]] = {
    "Person": {"zh-Hans": "人物", "zh-Hant": "人物", "en": "Person"},
    "Organization": {"zh-Hans": "机构", "zh-Hant": "機構", "en": "Organization"},
    "Product": {"zh-Hans": "产品", "zh-Hant": "產品", "en": "Product"},
    "StockMarket": {"zh-Hans": "股票市场", "zh-Hant": "股票市場", "en": "Stock market"},
    "Other": {"zh-Hans": "其他", "zh-Hant": "其他", "en": "Other"},
}
#: Edge style by relation: colour, width and dash pattern (past ties are dashed).
RELATION_STYLES: dict[str, dict[str, Any]] = {
    "founder": {"color": "#D55E00", "width": 2.2},
    "role": {"color": "#2F6DB0", "width": 1.8},
    "worksFor": {"color": "#2F6DB0", "width": 1.6},
    "alumniOf": {"color": "#6E9BCF", "width": 1.4, "dashes": [6, 4]},
    "recruited": {"color": "#E69F00", "width": 1.6},
    "parentOrganization": {"color": "#1D5E9A", "width": 2.0},
    "spunOffFrom": {"color": "#1D5E9A", "width": 1.6, "dashes": [6, 4]},
    "manufacturer": {"color": "#2BAE84", "width": 1.4},
    "competitorOf": {"color": "#A8A8A8", "width": 1.2, "dashes": [2, 4]},
    "customerOf": {"color": "#C8629E", "width": 1.4},
    "partnerOf": {"color": "#C8629E", "width": 1.4, "dashes": [6, 4]},
    "listedOn": {"color": "#8E3B6C", "width": 1.4},
    "forecast": {"color": "#7A5BA6", "width": 1.4, "dashes": [2, 3]},
}
_DEFAULT_RELATION_STYLE: dict[str, Any] = {"color": "#8C8C8C", "width": 1.2}
#: Relations whose date is the day the tie began, so that it holds from then on: a founding,
#: a listing, a spin-off, the launch of a product. Any other dated fact (recruited, customer
#: of, rival as of, a forecast) is a point event: it holds in the period of its date only.
#: The page's year control and the GEXF timeline of ``kg export`` both read dates so.
LASTING = frozenset({"founder", "listedOn", "spunOffFrom", "manufacturer"})
#: How a membership edge's relation is named in the filter (the edge itself shows the role).
_ROLE_NAMES = {"zh-Hans": "职务", "zh-Hant": "職務", "en": "role"}


_UI: dict[str, dict[str, str]] = {
    "zh-Hans": {
        "title": "中国AI产业知识图谱",
        "search": "搜索人物、机构、产品(中文或英文)",
        "types": "类型",
        "relations": "关系",
        "details": "详情",
        "close": "关闭",
        "none": "没有匹配的名字",
        "shown": "显示 {n} / {N} 个实体,{m} / {M} 条关系",
        "hint": "悬停查看名称;点击实体或连线,查看全部事实、原文句子和来源;滚轮缩放,拖动平移。",
        "aka": "别名",
        "id": "标识",
        "facts": "{n} 条事实",
        "click_node": "点击查看全部 {n} 条事实及原文",
        "click_edge": "点击查看原文句子和来源",
        "not_drawn": "未画出的实体",
        "labels_hidden": "{k} 条关系的名称放不下,没有画出;悬停或点击连线即可看到。",
        "no_date": "发布日期未记录",
        "no_url": "原文链接未记录",
        "disputed": "⚠ 来源之间有分歧,见 kg conflicts",
        "original": "原文",
        "author": "{name}:{title}的作者",
        "editor": "{name}:{title}的编辑",
        "publisher": "{name}:{title}的出版方",
        "no_tie": "{name}:与图中其他实体没有关系",
        "whole": "显示全图",
        "flow": "{org}的人才流向",
        "fit": "适应窗口",
        "year": "年份",
        "all_years": "全部年份",
        "undated": "未注明日期(淡色虚线)",
        "year_note": (
            "{y}年:只显示注明日期、当年有效的事实;未注明日期或日期未涵盖当年(只知开始或结束)的事实以淡色虚线标出,不当作当年属实。"
        ),
        "until": "至{d}",
        "work": "《{t}》",
        "since": "{d}起",
        "flow_note": (
            "左:{org}及其集团;中:曾在那里工作的人,按离开时间排序(未注明日期的在后);"
            "右:他们创立或加入的机构。"
        ),
        "no_org": "图中没有名为“{org}”的机构。",
        "no_alumni": "图中没有{org}的前员工,显示全图。",
    },
    "zh-Hant": {
        "title": "中國AI產業知識圖譜",
        "search": "搜尋人物、機構、產品(中文或英文)",
        "types": "類型",
        "relations": "關係",
        "details": "詳情",
        "close": "關閉",
        "none": "沒有相符的名字",
        "shown": "顯示 {n} / {N} 個實體,{m} / {M} 條關係",
        "hint": "懸停查看名稱;點擊實體或連線,查看全部事實、原文句子和來源;滾輪縮放,拖動平移。",
        "aka": "別名",
        "id": "標識",
        "facts": "{n} 條事實",
        "click_node": "點擊查看全部 {n} 條事實及原文",
        "click_edge": "點擊查看原文句子和來源",
        "not_drawn": "未畫出的實體",
        "labels_hidden": "{k} 條關係的名稱放不下,沒有畫出;懸停或點擊連線即可看到。",
        "no_date": "發布日期未記錄",
        "no_url": "原文連結未記錄",
        "disputed": "⚠ 來源之間有分歧,見 kg conflicts",
        "original": "原文",
        "author": "{name}:{title}的作者",
        "editor": "{name}:{title}的編輯",
        "publisher": "{name}:{title}的出版方",
        "no_tie": "{name}:與圖中其他實體沒有關係",
        "whole": "顯示全圖",
        "flow": "{org}的人才流向",
        "fit": "適應視窗",
        "year": "年份",
        "all_years": "全部年份",
        "undated": "未註明日期(淡色虛線)",
        "year_note": (
            "{y}年:只顯示註明日期、當年有效的事實;未註明日期或日期未涵蓋當年(只知開始或結束)的事實以淡色虛線標出,不當作當年屬實。"
        ),
        "until": "至{d}",
        "work": "《{t}》",
        "since": "{d}起",
        "flow_note": (
            "左:{org}及其集團;中:曾在那裡工作的人,按離開時間排序(未註明日期的在後);"
            "右:他們創立或加入的機構。"
        ),
        "no_org": "圖中沒有名為「{org}」的機構。",
        "no_alumni": "圖中沒有{org}的前員工,顯示全圖。",
    },
    "en": {
        "title": "China's AI industry: knowledge graph",
        "search": "Find a person, company or product (any language)",
        "types": "Types",
        "relations": "Relations",
        "details": "Details",
        "close": "Close",
        "none": "No matching name",
        "shown": "Showing {n} / {N} entities, {m} / {M} relations",
        "hint": "Hover for names; click an entity or a line for every fact, the sentence it "
        "comes from and its source; scroll to zoom, drag to pan.",
        "aka": "also",
        "id": "id",
        "facts": "{n} facts",
        "click_node": "Click for all {n} facts and their sources",
        "click_edge": "Click for the sentence and its source",
        "not_drawn": "Not drawn",
        "labels_hidden": "{k} relation names did not fit and are not drawn; hover over or "
        "click a line to see them.",
        "no_date": "publication date not recorded",
        "no_url": "link to the original not recorded",
        "disputed": "⚠ the sources disagree: see kg conflicts",
        "original": "original",
        "author": "{name}: author of {title}",
        "editor": "{name}: editor of {title}",
        "publisher": "{name}: publisher of {title}",
        "no_tie": "{name}: no tie to another entity in the graph",
        "whole": "Whole graph",
        "flow": "Where {org}'s people went",
        "fit": "Fit",
        "year": "Year",
        "all_years": "All years",
        "undated": "undated (faded, dashed)",
        "year_note": (
            "{y}: only the dated facts that held that year; undated facts, and those whose "
            "dates leave the year open (only a start or an end is known), are drawn faded "
            "and dashed, not as true that year."
        ),
        "until": "until {d}",
        "work": "“{t}”",
        "since": "from {d}",
        "flow_note": (
            "Left: {org} and its group; middle: the people who worked there, by when they "
            "left (undated last); right: what they founded or joined."
        ),
        "no_org": "No organisation named “{org}” in the graph.",
        "no_alumni": "No former staff of {org} in the graph; showing the whole graph.",
    },
}


# --- plain data the page is made from -------------------------------------------------


@dataclass(frozen=True)
class VizSource:
    """A source as the details panel cites it; empty fields are shown as not recorded."""

    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class VizQuote:
    """One quote of a fact, with the rest of its sentence around it."""

    source: str  #: source id, a key of :attr:`VizGraph.sources`
    quote: str
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class VizNode:
    """One vertex of the page.

    Parameters
    ----------
    id : str
        Any unique string (entity id); shown only as text, never used as markup or DOM id.
    type : str
        ``Person``, ``Organization``, ``Product`` or ``StockMarket`` (anything else is
        drawn as ``Other``).
    label : str
        The name drawn under the node.
    names : tuple of str
        Every name the search box should find it by (labels in all languages, aliases).
    tooltip : str
        Plain text shown on hover and at the top of the details panel (newlines kept; the
        first line is the heading).
    """

    id: str
    type: str
    label: str
    names: tuple[str, ...] = ()
    tooltip: str = ""


@dataclass(frozen=True)
class VizEdge:
    """One directed, labelled edge of the page (``source`` -> ``target``).

    ``when`` and ``status`` are shown beside the fact in the details panel, ``quotes``
    under it.
    """

    source: str
    target: str
    relation: str
    label: str = ""
    tooltip: str = ""
    when: str = ""
    status: str = ""
    disputed: bool = False  #: another source's statement contradicts it (kg conflicts)
    quotes: tuple[VizQuote, ...] = ()
    #: the dates the facts give (ISO, any precision, or empty): the page's year control
    #: shows an edge in the years they place it in, and an edge with none as undated
    start: str = ""
    end: str = ""
    date: str = ""


@dataclass
class VizGraph:
    """Everything one page shows: nodes, edges and the texts around them.

    ``relation_names`` maps a relation key to the name the filter shows (default: the key);
    ``sources`` the source ids quotes cite to their metadata; ``notes`` lists, in the
    legend, the entities left out of the drawing and why.
    """

    nodes: list[VizNode]
    edges: list[VizEdge]
    lang: str = "zh-Hans"
    title: str = ""
    subtitle: str = ""
    relation_names: dict[str, str] = field(default_factory=dict)
    sources: dict[str, VizSource] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise KGError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")


def relation_style(relation: str) -> dict[str, Any]:
    """Colour, width and dashes of a relation's edges on the page."""
    return {"dashes": False, **RELATION_STYLES.get(relation, _DEFAULT_RELATION_STYLE)}


def _type(name: str) -> str:
    return name if name in TYPE_STYLES else "Other"

"""Mentions recognised by their form, not by a list of names: titles, internal units, English
people and organisations, pronouns.

- **Titles** (new ROLE mentions): a Chinese title is a head (总裁, 总经理, 负责人, 院长, 主任 …;
  首席…官; CEO glued to Chinese) with its modifiers (副, 高级, 常务, 执行 …); an English title a
  head (president, chief … officer, general manager, director, head …) with its modifiers
  (senior, executive, vice …), in any case. Titles joined by 兼 / "and" are one title, as the
  text words it (副总经理兼首席技术官). 创始人 and founder are not titles: they say a founding.
- **Units**: an organisation followed by a unit word (事业部, 事业群, 研究院, 实验室, BG, BU,
  团队, Lab, Group …) is the unit, one organisation (百度深度学习研究院, not 百度).
- **English people**: two or three capitalised words of which one is a common Chinese surname
  in pinyin or its usual romanisations (Wang, Li, Zhang, Lee, Ng …), or which stand next to a
  title (chief executive John Smith; John Smith, CEO); never words of an organisation.
- **English organisations**: capitalised words after a word that takes an organisation
  (joined, left, founded, at, of …) that are not a person.
- **Pronouns**: 他/她/其, he/she; 该公司/公司/集团, "the company" and a sentence's opening "It":
  the nearest person or organisation named before them, else the one the page's title names.

Every pattern matches a bounded stretch, so the recognisers are linear in the text.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "chinese_orgs",
    "english_names",
    "has_title",
    "longer_name",
    "not_person",
    "pronouns",
    "surnames",
    "titles",
    "units",
]


@functools.lru_cache(maxsize=1)
def _word_lists() -> dict[str, frozenset[str]]:
    """The word lists of ``words.yaml``, beside this module: read once, when first needed."""
    import yaml

    doc = yaml.safe_load(Path(__file__).with_name("words.yaml").read_text(encoding="utf-8"))
    return {key: frozenset(str(w) for w in words) for key, words in doc.items()}


def surnames() -> frozenset[str]:
    """Common Chinese surnames as English texts spell them (``words.yaml``)."""
    return _word_lists()["surnames"]


def not_person() -> frozenset[str]:
    """Words that make a capitalised run no person (``words.yaml``)."""
    return _word_lists()["not_person"]


_HAN = "\u4e00-\u9fff"
# Chinese title heads, longest first; a head may follow a modifier and 首席…官 is open.
_ZH_HEADS = (
    "首席执行官|首席["
    + _HAN
    + "]{1,5}?官|董事会主席|董事长|副董事长|总裁|总经理|总监|负责人|主管|院长"
    "|所长|主任|主席|董事|秘书长|总编辑|合伙人|科学家|工程师|教授|研究员|掌门人|经理|总师"
    "|CEO|CTO|COO|CFO|CIO|CSO|CMO|CXO|VP"
)
_ZH_MOD = "(?:联席|常务|执行|高级|资深|首席|全球|集团|独立|非执行)"
_ZH_TITLE = re.compile(
    rf"(?:{_ZH_MOD}{{0,2}}副?(?:{_ZH_HEADS}))"
    rf"(?:\s{{0,2}}(?:兼|兼任|及)\s{{0,2}}{_ZH_MOD}{{0,2}}副?(?:{_ZH_HEADS})){{0,3}}"
)
#: Characters a domain word before a head may have (技术负责人, 后训练负责人, 算法总监):
#: not a function word, a verb of the rules or punctuation.
_ZH_DOMAIN = re.compile(rf"[{_HAN}]{{1,4}}$")
_ZH_NOT_DOMAIN = set("的是在任为了和与及、担出将由被曾原前现从于兼并也和其他她该组部院室队司团")
_ZH_DOMAIN_HEADS = ("负责人", "总监", "主管", "科学家", "工程师", "专家", "经理", "研究员", "总师")

_EN_HEAD = (
    r"president|chairman|chairwoman|chairperson|chair|director|head|general manager"
    r"|managing director|managing partner|partner|professor|chief executive|chief scientist"
    r"|chief [a-z]{2,20}(?: [a-z]{2,20})? officer|CEO|CTO|COO|CFO|CIO|CSO|CMO|board member"
    r"|executive director|researcher|scientist|engineer|vice president|VP"
)
_EN_MOD = (
    r"(?:(?:senior|executive|corporate|global|group|deputy|independent|non-executive|acting|interim"
    r"|founding|co-|co‑)\s?){0,2}"
)
_EN_ONE = rf"{_EN_MOD}(?:vice\s)?(?:{_EN_HEAD})"
_EN_TITLE = re.compile(
    rf"(?<![\w-])(?i:{_EN_ONE}(?:(?:,\s(?:and\s)?|\sand\s|\s&\s){_EN_ONE}){{0,3}})(?![\w-])"
)

_UNIT = re.compile(
    rf"[{_HAN}A-Za-z0-9]{{0,10}}?(?:事业部|事业群组|事业群|业务部|研究院|实验室|研究所|部门|团队|群组"
    r"|BG|BU|IRB)(?:[（(][A-Za-z]{2,8}[)）])?|\s(?:AI\s)?(?:Lab|Labs|Group|Research|Institute"
    r"|Research Institute|Cloud)\b"
    # an English name's unit or its longer name: Google| Brain, Alibaba| Cloud Intelligence
    r"|(?:\s[A-Z][a-z]{1,20}){1,3}(?![\w-])(?!\s[A-Z][a-z]+\s(?:is|was|has|said|joined|founded))"
    # the full name of which the organisation is the short one: 地平线|机器人, 阿里|云
    rf"|[{_HAN}]{{0,2}}(?:科技|机器人|集团|公司|汽车|云|控股|资本)"
    rf"(?:(?![{_HAN}])|(?=(?:联合)?创始人|首席|董事|总裁|副总裁|总经理|CEO|CTO|COO|CFO))"
)

_CAP = r"[A-Z][a-z]{1,14}(?:-[A-Za-z][a-z]{1,10})?"
_EN_NAME = re.compile(rf"(?<![\w-]){_CAP}(?:\s{_CAP}){{1,2}}(?![\w-])")
_EN_ORG_CUE = re.compile(
    r"(?:\bjoined|\bjoin|\bjoining|\bleft|\bleaving|\bleave|\bfounded|\bco-founded|\bcofounded"
    r"|\bat|\bof|\bfor|\bfrom|\bwith|\blaunched|\bstarted|\bestablished|\bcompany|\bfirm"
    r"|\bfund|\bstartup|\bstart-up|\bunicorn|\bwebsite|\bmaker|\bplatform|\bbank|\bby)\s(?:the\s)?$"
)
#: A word of an English organisation's name: a capital or digits, then word characters, & or
#: -, with dots only inside (01.AI, Pony.ai; "Xiaomi. He" is two sentences).
_EN_ORG_WORD = r"(?:[A-Z]|\d{1,3})[\w&-]{0,30}(?:\.[\w&-]{1,15}){0,2}"
_EN_ORG = re.compile(
    rf"(?<![\w-]){_EN_ORG_WORD}(?:\s(?:{_EN_ORG_WORD}|of|&)){{0,4}}"
    r"(?<![\s,])(?<!\sof)(?=[\s,.;:)'’]|$)"
)

_ZH_PERSON_PRONOUN = re.compile(r"他(?!们)|她(?!们)|(?<![尤极与])其(?![他中实余次])")
_ZH_ORG_PRONOUN = re.compile(
    r"该公司|该集团|(?:(?<=[在于的从入系本任向为与和及对,，。、；：（(\s])|^)(?:公司|集团)(?![\u4e00-\u9fff]{0,1}[司团])",
    re.M,
)
_EN_PERSON_PRONOUN = re.compile(r"(?<![\w-])(?:He|he|She|she)(?![\w-])")
_EN_ORG_PRONOUN = re.compile(
    # (not before a name: "the startup Fanfou" describes the name after it)
    r"(?<![\w-])(?:[Tt]he company|[Tt]he firm|[Tt]he startup)(?![\w-])(?!\s[A-Z0-9])"
    r"|(?:^|(?<=[.!?]\s))It(?=\s)",
    re.M,
)


def has_title(text: str, start: int, end: int, lang: str) -> bool:
    """Whether ``text[start:end]`` holds something of a title's form."""
    return (_EN_TITLE if lang == "en" else _ZH_TITLE).search(text, start, end) is not None


def titles(text: str, lang: str, free: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans of titles in the stretches *free* of *text* (those no name has taken)."""
    out: list[tuple[int, int]] = []
    pattern = _EN_TITLE if lang == "en" else _ZH_TITLE
    for a, b in free:
        for m in pattern.finditer(text, a, b):
            start, end = m.start(), m.end()
            if lang != "en" and m.group().endswith(_ZH_DOMAIN_HEADS):
                start = _domain(text, a, start)
            out.append((start, end))
    return out


def _domain(text: str, floor: int, start: int) -> int:
    """Where a Chinese title starts once its domain word is taken in (技术负责人): up to four
    free Han characters before it, stopping at a function word."""
    at = start
    while at > floor and start - at < 4 and text[at - 1] not in _ZH_NOT_DOMAIN:
        if not re.match(rf"[{_HAN}]", text[at - 1]):
            break
        at -= 1
    return at


def units(text: str, org_end: int, limit: int) -> int | None:
    """Where the unit that an organisation ending at *org_end* names ends (百度|深度学习研究院),
    if one follows it before *limit*; None if none does."""
    m = _UNIT.match(text, org_end, limit)
    if m is None or m.end() == org_end:
        return None
    return m.end()


def english_names(
    text: str, free: Iterable[tuple[int, int]], title_spans: list[tuple[int, int]]
) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of new English people (PER) and organisations (ORG) in the
    stretches *free* of *text*."""
    near_title = {e for _, e in title_spans} | {s for s, _ in title_spans}
    out: list[tuple[int, int, str]] = []
    for a, b in free:
        people: list[tuple[int, int]] = []  # in order, none overlapping
        for m in _EN_NAME.finditer(text, a, b):
            words = m.group().split()
            if any(w.split("-")[0] in not_person() for w in words):
                continue
            chinese = any(w.split("-")[0] in surnames() for w in words)
            titled = any(
                x in near_title for at in (m.start(), m.end()) for x in range(at - 2, at + 3)
            )
            if chinese or titled:
                out.append((m.start(), m.end(), "PER"))
                people.append((m.start(), m.end()))
        starts = [s for s, _ in people]
        for m in _EN_ORG.finditer(text, a, b):
            k = bisect_right(starts, m.end() - 1) - 1  # the last person starting before its end
            if k >= 0 and people[k][1] > m.start():
                continue  # it overlaps a person
            if not _EN_ORG_CUE.search(text, max(0, m.start() - 18), m.start()):
                continue
            first = m.group().split()[0]
            if first in ("The", "A", "An", "His", "Her", "Its", "Their", "This", "That"):
                continue
            if first.endswith(("-based", "-born", "-listed", "-headquartered")):
                continue  # Beijing-based: a description of the name after it
            out.append((m.start(), m.end(), "ORG"))
    return out


def pronouns(text: str, lang: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of the pronouns (PER or ORG) of *text*."""
    if lang == "en":
        people, orgs = _EN_PERSON_PRONOUN, _EN_ORG_PRONOUN
    else:
        people, orgs = _ZH_PERSON_PRONOUN, _ZH_ORG_PRONOUN
    found = [(m.start(), m.end(), "PER") for m in people.finditer(text)]
    found += [(m.start(), m.end(), "ORG") for m in orgs.finditer(text)]
    return sorted(found)


# A Chinese organisation by its form: a run of characters that ends in an organisation word,
# within a stretch that a boundary (punctuation, a function word, a verb of the rules) opens.
_ZH_ORG_END = (
    "股份有限公司|有限责任公司|有限公司|公司|集团|科技|机器人|汽车|银行|大学|学院|研究院|研究所"
    "|实验室|事业部|事业群|群组|团队|部门|基金会|委员会|协会|BG|BU|IRB"
)
_ZH_BOUNDARY = re.compile(
    r"[\s,，。；;：:、“”\"「」『』《》（）()！？!?]|的|在|于|从|由|与|和|及|跟|同|向|对|为|是|将|已|被|把"
    r"|加入|加盟|入职|离开|离职|出任|担任|任职|就职|创立|创办|创建|成立|设立|联合|共同|旗下|下属"
    r"|包括|以及|等|并|也|还|曾|原|前|现|兼|宣布|正式|近日|日前|此前|成为|作为|据|称|表示|名为"
    r"|卸任|辞去|接任|接替|升任|晋升为|晋升|继续|主导|负责|进入|带领|领导|管理|推出|发布|系"
    r"|了|拥有|获得|身兼"
)
_ZH_ORG_ENDS = re.compile(_ZH_ORG_END)
_ZH_PIECE = re.compile(rf"[{_HAN}A-Za-z0-9]{{1,60}}")


#: A name in quotation marks that a text gives a company: 名为“原力灵机”的公司.
_ZH_NAMED = re.compile(r"(?:名为|叫做|取名|命名为|名叫)[“\"「『](?P<n>[^”\"」』\n]{1,15})[”\"」』]")


def chinese_orgs(text: str, free: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of Chinese organisations named by their form (理想汽车, 智能汽车群组) in the
    stretches *free* of *text*: in each piece between boundaries, the longest run (at most 14
    characters) that starts the piece and ends in an organisation word after a character."""
    out: list[tuple[int, int]] = []
    for a, b in free:
        found: list[tuple[int, int]] = []  # in order, none overlapping
        pos = a
        for cut in [*_ZH_BOUNDARY.finditer(text, a, b), None]:
            end = cut.start() if cut is not None else b
            best = 0
            if end - pos >= 3 and _ZH_PIECE.fullmatch(text, pos, end):
                for m in _ZH_ORG_ENDS.finditer(text, pos, min(end, pos + 14)):
                    if m.start() > pos:
                        best = m.end() - pos
            if best:
                found.append((pos, pos + best))
            pos = cut.end() if cut is not None else b
        starts = [s for s, _ in found]
        for m in _ZH_NAMED.finditer(text, a, b):
            k = bisect_right(starts, m.end("n") - 1) - 1
            if k < 0 or found[k][1] <= m.start("n"):
                out.append((m.start("n"), m.end("n")))
        out += found
    return sorted(out)


#: After a two-character Chinese name, what a third character of the name may stand before.
_AFTER_NAME = re.compile(r"[在于从,，。、；将是曾已也和与及被的]|自|出任|担任|加入|离开|创")


def longer_name(text: str, start: int, end: int, limit: int) -> int:
    """Where a two-character Chinese name the model found (周靖) ends once a third character
    it cut off is taken back (周靖人在 …): when the character after it is no boundary and a
    boundary follows that character."""
    if end - start != 2 or end + 1 > limit:
        return end
    nxt = text[end : end + 1]
    if not re.match(rf"[{_HAN}]", nxt) or _AFTER_NAME.match(nxt):
        return end
    if _AFTER_NAME.match(text, end + 1) or end + 1 == limit:
        return end + 1
    return end

"""Synthetic graphs in the project's data model, for benchmarks and scale tests.

:func:`synthetic_dataset` makes people, companies, products, tenures with dates,
founders, roles, competitors, figures and evidence spans in synthetic articles,
deterministically from a seed, and :func:`kg.graph.build.build_graph` turns them into
RDF exactly as it does the real data. A few ids are the real ones (``org/baidu``,
``person/lu-qi`` …) so the named queries' defaults find something.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.data.model import Dataset, Entity, Evidence, Figure, Membership, Relation, RelationStatement
from kg.sources import Source
from kg.sources.clean import CleanReport, CleanText

__all__ = ["TRIPLES_PER_PERSON", "synthetic_dataset", "write_synthetic"]

#: About how many triples one synthetic person brings (with their share of the rest).
TRIPLES_PER_PERSON = 84
_REAL_ORGS = ["org/baidu", "org/kunlunxin", "org/horizon-robotics", "org/pony-ai", "org/weride"]
_REAL_PEOPLE = ["person/lu-qi", "person/peng-jun", "person/yu-kai", "person/ouyang-jian"]
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬芳燕彩春菊兰凤洁"
    "梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦"
    "黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪"
    "澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
)
_ROLES = ["role/ceo", "role/coo", "role/group-president", "role/chief-chip-architect"]


@dataclass
class _Text:
    """Builds one synthetic article, handing out evidence spans as it grows."""

    source: str
    parts: list[str]
    length: int = 0

    def quote(self, sentence: str) -> Evidence:
        start = self.length
        self.parts.append(sentence)
        self.length += len(sentence) + 1
        return Evidence(self.source, sentence, start, start + len(sentence))


def _date(rng: random.Random, low: int = 2000, high: int = 2024) -> str:
    year = rng.randint(low, high)
    if rng.random() < 0.3:
        return f"{year}-{rng.randint(1, 12):02d}"
    return str(year)


def synthetic_dataset(people: int, seed: int = 0, per_article: int = 200) -> Dataset:
    """A dataset of about ``people * TRIPLES_PER_PERSON`` triples, the same for the same seed.

    Examples
    --------
    >>> from kg.graph.build import build_graph
    >>> data = synthetic_dataset(20, seed=1)
    >>> len(build_graph(data)) == len(build_graph(synthetic_dataset(20, seed=1)))
    True
    """
    rng = random.Random(seed)
    orgs = max(5, people // 4)
    products = max(2, people // 10)
    entities: dict[str, Entity] = {}

    def add(eid: str, kind: str, zh: str, en: str, hant: str | None = None) -> None:
        entities[eid] = Entity(
            eid, kind, {"zh-Hans": zh, "zh-Hant": hant or zh, "en": en}, "hanyu-pinyin"
        )

    org_ids = [_REAL_ORGS[i] if i < len(_REAL_ORGS) else f"org/s{i}" for i in range(orgs)]
    for i, eid in enumerate(org_ids):
        add(eid, "Organization", f"合成公司{i}", f"Synthetic Co {i}", f"合成公司{i}號")
    person_ids = [
        _REAL_PEOPLE[i] if i < len(_REAL_PEOPLE) else f"person/p{i}" for i in range(people)
    ]
    for i, eid in enumerate(person_ids):
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
        add(eid, "Person", name, f"Person {i}", name + "氏")
    product_ids = [f"product/x{i}" for i in range(products)]
    for i, eid in enumerate(product_ids):
        add(eid, "Product", f"芯片{i}", f"Chip {i}")
    for role in _ROLES:
        add(role, "Role", role.split("/")[1], role.split("/")[1].upper())

    relations = {
        name: Relation(name, predicate, (subject,), (obj,), {"en": name, "zh-Hans": name})
        for name, predicate, subject, obj in [
            ("founder", "schema:founder", "Organization", "Person"),
            ("alumniOf", "schema:alumniOf", "Person", "Organization"),
            ("worksFor", "schema:worksFor", "Person", "Organization"),
            ("competitorOf", "kg:competitorOf", "Organization", "Organization"),
            ("customerOf", "kg:customerOf", "Organization", "Organization"),
            ("manufacturer", "schema:manufacturer", "Product", "Organization"),
        ]
    }
    data = Dataset(
        root=Path("."),
        sources={},
        entities=entities,
        relations=relations,
        measures={"revenue": {"en": "revenue", "zh-Hans": "营收"}},
    )

    texts: list[_Text] = []

    def text() -> _Text:
        if not texts or len(texts[-1].parts) >= per_article:
            texts.append(_Text(f"synthetic-{len(texts)}", []))
        return texts[-1]

    # Org popularity is skewed, as in life: a few companies employ many.
    weights = [1.0 / (i + 1) ** 0.8 for i in range(orgs)]
    n = 0

    def relation(subject: str, name: str, obj: str, sentence: str, **dates: Any) -> None:
        nonlocal n
        n += 1
        data.statements.append(
            RelationStatement(
                f"s{n}", text().source, subject, name, obj, None, (text().quote(sentence),), **dates
            )
        )

    for i, person in enumerate(person_ids):
        label = entities[person].labels["zh-Hans"]
        past = rng.choices(org_ids, weights, k=rng.randint(1, 3))
        for org in dict.fromkeys(past):
            start = _date(rng, 2000, 2015)
            end = _date(rng, int(start[:4]) + 1, 2024)
            relation(
                person,
                "alumniOf",
                org,
                f"{label}曾在{entities[org].labels['zh-Hans']}任职",
                start=start,
                end=end,
            )
        current = rng.choice(org_ids)
        relation(
            person,
            "worksFor",
            current,
            f"{label}现任职于{entities[current].labels['zh-Hans']}",
            start=_date(rng, 2015),
        )
        if rng.random() < 0.5:
            n += 1
            data.memberships.append(
                Membership(
                    f"m{n}",
                    text().source,
                    person,
                    current,
                    rng.choice(_ROLES),
                    (text().quote(f"{label}出任{entities[current].labels['zh-Hans']}高管"),),
                    start=_date(rng, 2015),
                )
            )
        if rng.random() < 0.25:
            company = org_ids[rng.randrange(orgs)]
            relation(
                company, "founder", person, f"{label}创立{entities[company].labels['zh-Hans']}"
            )
        if i % 4 == 0:
            a, b = rng.sample(org_ids, 2)
            relation(
                a,
                "competitorOf",
                b,
                f"{entities[a].labels['zh-Hans']}与{entities[b].labels['zh-Hans']}竞争",
            )
            relation(
                b,
                "customerOf",
                a,
                f"{entities[b].labels['zh-Hans']}采购{entities[a].labels['zh-Hans']}的产品",
                date=_date(rng, 2018),
            )
        if i % 10 == 0:
            product = product_ids[(i // 10) % products]
            maker = rng.choice(org_ids)
            relation(
                product,
                "manufacturer",
                maker,
                f"{entities[maker].labels['zh-Hans']}推出{entities[product].labels['zh-Hans']}",
                date=_date(rng, 2016),
            )
            n += 1
            year = str(rng.randint(2018, 2026))
            data.figures.append(
                Figure(
                    f"f{n}",
                    text().source,
                    "revenue",
                    maker,
                    "CNY",
                    (
                        text().quote(
                            f"{year}年{entities[maker].labels['zh-Hans']}"
                            f"营收约{rng.randint(1, 99)}亿"
                        ),
                    ),
                    value=float(rng.randint(1, 99) * 100_000_000),
                    period=year,
                    forecast=int(year) > 2025,
                )
            )

    for t in texts:
        clean = "\n".join(t.parts)
        data.sources[t.source] = Source(
            id=t.source,
            meta={"headline": f"合成文章 {t.source}", "publisher": org_ids[0], "language": "zh"},
            raw_path=Path(f"{t.source}.raw.txt"),
            sha256="0" * 64,
            clean=CleanText(t.source, clean, clean, [], CleanReport(t.source)),
        )
    return data


def write_synthetic(path: str | Path, triples: int, seed: int = 0) -> Path:
    """Write a sorted N-Triples file of about *triples* triples; reuse it if present and made
    by the same code (``PATH.key`` records the code that made it: a file made before a change
    to how triples are made — new links, say — is made again, so that a benchmark never
    compares graphs of two versions)."""
    import hashlib

    from kg.graph.fragments import _code_key
    from kg.graph.triples import graph_lines
    from kg.project.datafile import atomic_write

    path = Path(path)
    stamp = path.with_name(path.name + ".key")
    key = hashlib.sha256(
        f"{_code_key()} {triples} {seed} ".encode() + Path(__file__).read_bytes()
    ).hexdigest()
    made = stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else ""
    if not path.is_file() or made != key:
        people = max(4, triples // TRIPLES_PER_PERSON)
        lines = sorted(set(graph_lines(synthetic_dataset(people, seed))))
        atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))
        atomic_write(stamp, (key + "\n").encode("utf-8"))
    return path

"""Names made from text: a text's language from its characters, an id from a title."""

from __future__ import annotations

import re

__all__ = ["guess_language", "slug"]


def guess_language(text: str) -> str:
    """zh-Hans, zh-Hant or en, from the characters of *text*.

    >>> [guess_language(t) for t in ("陸奇出任集團總裁", "陆奇出任集团总裁", "Qi Lu")]
    ['zh-Hant', 'zh-Hans', 'en']
    """
    from kg.sources.clean import _t2s

    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if len(han) < max(1, len(text) // 20):
        return "en"
    sample = "".join(han[:5000])
    changed = sum(a != b for a, b in zip(sample, _t2s()(sample), strict=False))
    return "zh-Hant" if changed > len(sample) * 0.02 else "zh-Hans"


def slug(title: str, limit: int = 60, empty: str = "source") -> str:
    """A source id from a title: ASCII words, Chinese as toneless pinyin (*empty* if none).

    >>> slug("Horizon Robotics — Wikipedia"), slug("百度AI十年启示录")
    ('horizon-robotics-wikipedia', 'bai-du-ai-shi-nian-qi-shi-lu')
    """
    from pypinyin import lazy_pinyin

    words = " ".join(lazy_pinyin(title)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    text = text[:limit].rstrip("-")
    return text or empty

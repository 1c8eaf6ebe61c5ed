"""The forms in which names are compared, and finding an entity by any of its names.

:func:`identity_key` is the form used to find an entity and to propose candidates: NFKC,
case folding, Traditional folded to Simplified (:func:`kg.query.lookup.normalize`), then spaces,
hyphens, dots and commas taken out and a legal suffix dropped (有限公司, 股份有限公司,
Inc., Ltd., Co., Corporation, …). :func:`pinyin_keys` gives the toneless pinyin of a Chinese
name in both name orders, and the letters of a romanised name, so 余凯 and "Kai Yu" meet —
and 王劲 ("wang jin") does not meet "Wang Jing": a shared pinyin only proposes a pair.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from kg.errors import DataError

__all__ = ["NameIndex", "identity_key", "pinyin_keys"]

_LEGAL = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "(中国)",
    "(集团)",
    " incorporated",
    " corporation",
    " holdings",
    " limited",
    " company",
    " group",
    " corp",
    " inc",
    " ltd",
    " llc",
    " plc",
    " co",
)
_PUNCT = re.compile(r"[\s\-‐‑–—.,，。·・'’\"“”()（）]+")


def normalize(name: str) -> str:
    """The form names are compared in.

    Examples
    --------
    >>> normalize("  Qi   LU ") == normalize("ｑｉ ｌｕ") == "qi lu"
    True
    >>> normalize("陸奇") == normalize("陆奇")
    True
    """
    from kg.sources.clean import _t2s

    text = unicodedata.normalize("NFKC", name.replace("\x00", ""))
    text = " ".join(text.casefold().split())
    return str(_t2s()(text)) if text else text


def identity_key(name: str) -> str:
    """The form two names are the same in.

    Examples
    --------
    >>> identity_key("WeRide Inc.") == identity_key("weride") == "weride"
    True
    >>> identity_key("小馬智行") == identity_key("小马智行")
    True
    >>> identity_key("北京百度网讯科技有限公司")
    '北京百度网讯科技'
    """
    text = normalize(name).replace("（", "(").replace("）", ")")
    changed = True
    while changed:
        changed = False
        stripped = text.rstrip(" ,.")
        for suffix in _LEGAL:
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                text, changed = stripped[: -len(suffix)], True
                break
    return _PUNCT.sub("", text)


def _is_han(char: str) -> bool:
    return "CJK UNIFIED" in unicodedata.name(char, "")


def pinyin_keys(name: str) -> set[str]:
    """Toneless pinyin of a Chinese name (both name orders), or a romanised name's letters.

    Examples
    --------
    >>> sorted(pinyin_keys("余凯"))
    ['kaiyu', 'yukai']
    >>> sorted(pinyin_keys("Kai Yu"))
    ['kaiyu', 'yukai']
    >>> "wangjing" in pinyin_keys("王劲")
    False
    """
    text = normalize(name)
    if any(_is_han(c) for c in text):
        if not all(_is_han(c) for c in text.replace(" ", "")):
            return set()  # a mixed name (昆仑芯P800) has no pinyin form to compare
        from pypinyin import lazy_pinyin

        syllables = lazy_pinyin(text.replace(" ", ""))
        if len(syllables) < 2:
            return set()
        return {"".join(syllables), "".join(syllables[1:] + syllables[:1])}
    words = [w for w in re.split(r"[^a-z]+", text) if w]
    if len(words) < 2:
        return {words[0]} if words else set()
    return {"".join(words), "".join(words[1:] + words[:1])}


class NameIndex:
    """Every entity's names (labels and alternative labels) by :func:`identity_key`."""

    def __init__(self, names: Mapping[str, Iterable[str]]):
        self.by_key: dict[str, set[str]] = {}
        self.names = {eid: list(dict.fromkeys(ns)) for eid, ns in names.items()}
        for eid, ns in self.names.items():
            for name in (eid, *ns):
                key = identity_key(name)
                if key:
                    self.by_key.setdefault(key, set()).add(eid)

    def find(self, name: str) -> list[str]:
        """The ids of every entity one of whose names is *name* (after normalisation)."""
        return sorted(self.by_key.get(identity_key(name), ()))

    def resolve(self, name: str, where: tuple[Any, ...] = ()) -> str:
        """The one entity named *name*; a clear error if none or several are."""
        found = self.find(name)
        if len(found) == 1:
            return found[0]
        if not found:
            import difflib

            keys = difflib.get_close_matches(identity_key(name), self.by_key, n=3)
            near = sorted({e for k in keys for e in self.by_key[k]})
            hint = f"; did you mean {', '.join(near)}?" if near else "; add it to data/entities/"
            raise DataError(f"no entity is named {name!r}{hint}", *where)
        shown = ", ".join(f"{e} ({', '.join(self.names[e][:3])})" for e in found)
        raise DataError(
            f"{name!r} names {len(found)} entities: {shown}; write the id of the one meant "
            "(names alone never decide between homonyms)",
            *where,
        )

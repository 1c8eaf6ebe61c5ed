"""The one YAML reader and writer: line numbers for errors, and only the YAML the data needs.

The data files are small hand-written documents of mappings, lists, text, numbers
and true/false. Everything else YAML can do is refused with the file and line,
before it can cost memory, a traceback or a wrong value:

- anchors and aliases (``&name`` / ``*name``; they let a few lines expand into
  gigabytes), and explicit tags (``!!timestamp``, ``!!binary``, …);
- nesting deeper than :data:`MAX_DEPTH` levels;
- dates are not YAML timestamps: an unquoted ``2018-05-01`` is read as the text
  it is, and the data checker decides whether it is a real date;
- the ``<<`` merge key and ``=`` are plain text;
- duplicate keys.

:func:`dump_yaml` is the one writer: every string it writes reads back exactly (a string
holding a control character, a line or paragraph separator, NEL or a bidi control is
double-quoted with escapes), and it writes no anchors or tags. :func:`overlay` lets a writer
check the text it is about to write with the very loaders that read the data files.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kg.errors import DataError
from kg.project._text import describe

__all__ = [
    "LINE",
    "MAX_DEPTH",
    "YamlMapping",
    "dump_yaml",
    "key_line",
    "load_yaml",
    "needs_escape",
    "overlay",
    "yaml_exists",
    "yaml_files",
]

LINE = "__line__"
#: How deeply mappings and lists may nest (the project's files need six levels).
MAX_DEPTH = 32

_PLAIN_TYPES = ("bool", "float", "int", "null")  # the implicit types kept; all else is text


class YamlMapping(dict[str, Any]):
    """A mapping read from YAML: a dict that also knows its file and each key's line."""

    path: Path | None = None
    lines: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lines = {}


def key_line(mapping: Any, key: str) -> int | None:
    """The line of *key* in *mapping* (else the mapping's own line)."""
    lines = getattr(mapping, "lines", {})
    if key in lines:
        return int(lines[key])
    line = mapping.get(LINE) if isinstance(mapping, dict) else None
    return int(line) if line else None


@functools.lru_cache(maxsize=1)
def _loader_class() -> type:
    import yaml

    class LineLoader(yaml.SafeLoader):
        """A safe loader that records lines and refuses what the data does not need."""

        path: Path
        depth: int = 0

        def fail(self, message: str, mark: Any) -> DataError:
            return DataError(message, self.path, mark.line + 1 if mark else None)

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                raise self.fail(
                    f"YAML alias *{event.anchor} is not allowed here (the data files use no "
                    "anchors or aliases); write the value out",
                    event.start_mark,
                )
            if getattr(event, "anchor", None) is not None:
                raise self.fail(
                    f"YAML anchor &{event.anchor} is not allowed here (the data files use no "
                    "anchors or aliases); write the value out",
                    event.start_mark,
                )
            if getattr(event, "tag", None) is not None:
                tag = str(event.tag).replace("tag:yaml.org,2002:", "!!")
                raise self.fail(
                    f"YAML tag {tag} is not allowed here; write the value plainly "
                    '(in quotes if it is text, as in "2018-05")',
                    event.start_mark,
                )
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise self.fail(
                        f"YAML nested more than {MAX_DEPTH} levels deep", event.start_mark
                    )
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep)
            except (DataError, yaml.YAMLError):
                raise
            except (ValueError, OverflowError) as exc:
                shown = str(getattr(node, "value", ""))
                shown = shown if len(shown) <= 40 else shown[:40] + "…"
                raise self.fail(
                    f"cannot read the value {shown!r}: {exc}", node.start_mark
                ) from None

    def construct_int(loader: LineLoader, node: Any) -> Any:
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > 100:
            raise loader.fail(f"a number of {digits} digits is too long", node.start_mark)
        return yaml.SafeLoader.construct_yaml_int(loader, node)

    def construct_mapping(loader: LineLoader, node: Any, deep: bool = False) -> YamlMapping:
        keys: list[str] = []
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise loader.fail("a mapping key must be plain text", key.start_mark)
            keys.append(key.value)
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise loader.fail(f"duplicate key {duplicates[0]!r} in one mapping", node.start_mark)
        if LINE in keys:
            raise loader.fail(f"the key {LINE!r} is reserved", node.start_mark)
        mapping = YamlMapping(yaml.SafeLoader.construct_mapping(loader, node, deep=True))
        mapping.path = loader.path
        mapping.lines = {key.value: key.start_mark.line + 1 for key, _ in node.value}
        mapping[LINE] = node.start_mark.line + 1
        return mapping

    # Only the implicit types the data uses; dates, merge keys and "=" stay text.
    LineLoader.yaml_implicit_resolvers = {
        first: [
            (tag, regexp) for tag, regexp in resolvers if tag.rpartition(":")[2] in _PLAIN_TYPES
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    LineLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return LineLoader


def load_yaml(path: Path) -> Any:
    """Parse a YAML data file; every mapping is a :class:`YamlMapping` with ``__line__``.

    Raises
    ------
    DataError
        Naming the file and line, for bad YAML and for anything the data does not need.
    """
    import yaml

    try:
        pending = _OVERLAY.get()
        key = Path(path).absolute()
        text = pending[key] if key in pending else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not valid UTF-8 at byte {exc.start}", path) from None
    loader = None
    try:
        loader = _loader_class()(text)  # the reader checks the characters here
        loader.name = str(path)  # so that marks name the file
        loader.path = path
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DataError(f"bad YAML: {exc.problem or exc.context}", path, line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
        raise DataError(
            f"bad YAML: {describe(char)} at column {column} is not allowed in YAML "
            "(write it as an escape in a double-quoted string if it is meant)",
            path,
            line,
        ) from None
    except yaml.YAMLError as exc:
        raise DataError(f"bad YAML: {exc}", path) from None
    finally:
        if loader is not None:
            loader.dispose()


#: Texts a writer is about to write, read in place of the files (see :func:`overlay`).
#: (The default is shared and never changed: :func:`overlay` sets a new mapping; a thread starts
#: with the default, so an overlay is seen only by the thread that set it.)
_OVERLAY: contextvars.ContextVar[Mapping[Path, str]] = contextvars.ContextVar(
    "kg_yaml_overlay", default=MappingProxyType({})
)


@contextlib.contextmanager
def overlay(texts: dict[Path, str]) -> Iterator[None]:
    """Within the block, :func:`load_yaml` and :func:`yaml_files` see *texts* as the files.

    A writer checks what it is about to write with the loaders that will read it, before
    anything is on disk: ``with overlay({path: text}): load_dataset(root)``.
    """
    token = _OVERLAY.set({**_OVERLAY.get(), **{Path(p).absolute(): t for p, t in texts.items()}})
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def yaml_exists(path: Path) -> bool:
    """Whether *path* is a file, or a text an :func:`overlay` adds."""
    return Path(path).absolute() in _OVERLAY.get() or Path(path).exists()


def yaml_files(folder: Path, pattern: str = "*.yaml") -> list[Path]:
    """The files matching *pattern* in *folder*, sorted, with those an :func:`overlay` adds."""
    found = set(folder.glob(pattern))
    base = folder.absolute()
    for added in _OVERLAY.get():
        if added.parent == base and added.match(pattern):
            found.add(folder / added.name)
    return sorted(found)


def needs_escape(char: str) -> bool:
    """A character a YAML file may not hold raw and read back as itself (controls, NEL,
    format characters, line and paragraph separators, unassigned and private code points)."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


def _needs_quotes(value: str) -> bool:
    """A string the plain or single-quoted styles might not give back exactly."""
    return any(needs_escape(c) for c in value)


@functools.lru_cache(maxsize=1)
def _dumper_class() -> type:
    import yaml

    class Dumper(yaml.SafeDumper):
        """Block style, keys in the order given, no anchors, exact strings."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    def represent_str(dumper: Dumper, value: str) -> Any:
        style = '"' if _needs_quotes(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    def represent_mapping(dumper: Dumper, value: dict[str, Any]) -> Any:
        items = {k: v for k, v in value.items() if k != LINE}
        return dumper.represent_dict(items.items())

    Dumper.add_representer(str, represent_str)
    Dumper.add_representer(YamlMapping, represent_mapping)
    Dumper.add_representer(dict, represent_mapping)
    return Dumper


def dump_yaml(doc: Any, header: str = "") -> str:
    """*doc* as YAML that :func:`load_yaml` reads back as the same values.

    *header* (comment lines, each starting with ``#``) comes first. Keys keep their order;
    the ``__line__`` keys :func:`load_yaml` adds are left out.

    Examples
    --------
    >>> print(dump_yaml({"why": "a\\x85b", "date": "2018-05"}), end="")
    why: "a\\Nb"
    date: 2018-05
    """
    import yaml

    body = yaml.dump(
        doc,
        Dumper=_dumper_class(),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
    )
    header = header.rstrip("\n")
    return (header + "\n" if header else "") + body

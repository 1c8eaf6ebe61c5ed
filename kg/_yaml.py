"""YAML reading that remembers line numbers, so errors can name them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kg.errors import DataError

LINE = "__line__"


def _loader() -> type:
    import yaml

    class LineLoader(yaml.SafeLoader):
        """A safe loader that records the 1-based line of every mapping."""

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[str, Any]:
        keys = [k.value for k, _ in node.value if hasattr(k, "value")]
        duplicates = {k for k in keys if keys.count(k) > 1}
        if duplicates:
            raise DataError(
                f"duplicate key {sorted(duplicates)[0]!r} in one mapping",
                loader.name,
                node.start_mark.line + 1,
            )
        mapping: dict[str, Any] = yaml.SafeLoader.construct_mapping(loader, node, deep=True)  # type: ignore[assignment]
        mapping[LINE] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return LineLoader


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; every mapping gets its line under ``__line__``."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not valid UTF-8 at byte {exc.start}", path) from None
    try:
        return yaml.load(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DataError(f"bad YAML: {exc.problem or exc.context}", path, line) from None
    except yaml.YAMLError as exc:
        raise DataError(f"bad YAML: {exc}", path) from None

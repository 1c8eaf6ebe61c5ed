"""``kg init DIR``: a new, empty project that every command works in at once.

A project is a folder holding ``data/`` (the entity registry, the relation vocabulary,
sources and their statements), ``ontology.ttl`` and ``shapes.ttl``. ``kg init`` copies the
vocabulary, the ontology, the shapes and the generic roles that ship with kg (package data in
``kg/project/skeleton/``), and writes an empty registry and a README that walks through the
first source.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kg.errors import KGError

__all__ = ["SKELETON_FILES", "init_project"]

#: What ``kg init`` copies from the package: ``{file in skeleton/: path in the project}``.
SKELETON_FILES = {
    "ontology.ttl": "ontology.ttl",
    "shapes.ttl": "shapes.ttl",
    "relations.yaml": "data/relations.yaml",
    "roles.yaml": "data/entities/roles.yaml",
}

_ENTITIES = """\
# Every person and organisation the sources name (the roles are in entities/roles.yaml).
# id: the IRI path under the kg namespace (person/…, org/…, product/…, market/…, role/…).
# labels: zh-Hans, zh-Hant, en. en_source: the public source of the English name (a URL), or
# "hanyu-pinyin" where it is the standard romanisation of the Chinese name, or "translation".
# A source's publisher is an organisation of this registry: add it before `kg add-source`.
entities: []
"""

_README = """\
# {name}: a kg project

A knowledge graph of people and organisations, every fact with its quote. Made by `kg init`;
`kg --help` lists the commands, and every command run in this folder (or below it) works on it.

## The first ten minutes

1. Register the publisher of your first text as an organisation in `data/entities.yaml`:

   ```yaml
   entities:
     - id: org/example-news
       type: Organization
       labels: {{zh-Hans: 示例新闻, zh-Hant: 示例新聞, en: Example News}}
       en_source: translation
   ```

2. Register the text (kept byte for byte, with its metadata):

   ```sh
   kg add-source article.txt --title "The title" --publisher "Example News" --lang en
   ```

3. Propose facts from it and decide them (`kg review` opens a local page), or write them by
   hand in `data/statements/<id>.yaml`, each with its quote:

   ```sh
   kg extract <id>
   kg review <id> --by "Your Name"
   ```

4. Build, query and look:

   ```sh
   kg build
   kg query --list
   kg serve        # the query page, the entity pages and /graph, on 127.0.0.1
   ```

Files: `data/` (what you curate; keep it in git), `build/` (what `kg build` writes; git ignores
it), `ontology.ttl` and `shapes.ttl` (the terms and the checks, as shipped with kg).
"""

_GITIGNORE = """\
build/
data/.kg.lock
data/.review.lock
data/drafts/
data/cache/
"""


def init_project(folder: Path) -> list[Path]:
    """Create a new project in *folder* (absent or empty); return the files written.

    Raises :class:`~kg.errors.KGError` for a folder that is a file or is not empty; then
    nothing is written.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise KGError(f"{folder} is a file; give a new or empty folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise KGError(f"{folder} is not empty; kg init makes a new project in an empty folder")
    skeleton = resources.files("kg.project").joinpath("skeleton")
    texts: dict[str, str] = {
        target: skeleton.joinpath(name).read_text(encoding="utf-8")
        for name, target in SKELETON_FILES.items()
    }
    texts["data/entities.yaml"] = _ENTITIES
    texts["README.md"] = _README.format(name=folder.absolute().name)
    texts[".gitignore"] = _GITIGNORE
    written = []
    try:
        for sub in ("data/sources", "data/statements", "data/entities"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        for target, text in texts.items():
            path = folder / target
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise KGError(f"cannot write the project in {folder}: {exc.strerror or exc}") from exc
    return written

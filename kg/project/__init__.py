"""The project folder: where ``data/``, ``ontology.ttl``, ``shapes.ttl`` and ``build/`` are.

The first step of the flow, which every other step may use: the project folder
(:func:`project_root`), its namespaces (:mod:`kg.project.namespaces`), the text, date and URL
checks of the data (:mod:`kg.project.checks`), the YAML reader and writer
(:mod:`kg.project._yaml`), the one way data files are written (:mod:`kg.project.datafile`) and
``kg init`` (:mod:`kg.project.init`).
"""

from __future__ import annotations

import os
from pathlib import Path

from kg.errors import KGError

__all__ = ["default_out", "project_root"]


def project_root() -> Path:
    """The project folder: where ``data/``, ``ontology.ttl``, ``shapes.ttl`` and ``build/`` are.

    ``$KG_HOME`` if set; else the nearest folder holding ``data/entities.yaml``, from the
    current folder upward (as git finds its repository); else the checkout this package
    is installed from. Every command reads its data there and writes its outputs to its
    ``build/`` unless a path is given, and a path given is relative to the current folder.
    """
    if os.environ.get("KG_HOME"):
        return Path(os.environ["KG_HOME"]).absolute()
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "data" / "entities.yaml").is_file():
            return folder
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "data" / "entities.yaml").is_file():
        return checkout
    raise KGError(
        f"no kg project in {here} or above it (a folder holding data/entities.yaml): "
        "create one with `kg init FOLDER`, or set KG_HOME"
    )


def default_out(root: str | Path | None = None) -> Path:
    """Where builds go and readers look by default: ``build/`` in the project folder."""
    return (Path(root) if root else project_root()) / "build"

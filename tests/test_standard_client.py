"""Every named query, as its file stands, through a SPARQL client nobody here wrote.

Apache Jena's ``rsparql`` (Debian's libapache-jena-java) sends each ``kg/query/queries/*.rq``
file to a real `kg serve`; its answer must be `kg query`'s, row for row. The defaults a
named query binds itself (``VALUES $name { … }``) are what make that work: without them
the parameters are unbound variables outside `kg query` and the language filters match
nothing.
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from bench.load_serve import JENA_JARS, jena_classpath
from kg.query.named import named_queries
from kg.query.results import run, serialize
from kg.query.store import open_store


@pytest.fixture(scope="module")
def rsparql(tmp_path_factory):
    """A command line that runs Jena's rsparql; fails (never skips) when Jena is missing."""
    classpath = jena_classpath(tmp_path_factory.mktemp("jena"))
    if classpath is None:
        java = Path("/usr/share/java")
        missing = [name for name in JENA_JARS if not (java / f"{name}.jar").is_file()]
        pytest.fail(
            f"Apache Jena not found ({', '.join(missing) or 'java'}): "
            "apt-get install --no-install-recommends libapache-jena-java"
        )
    return ["java", "-cp", classpath, "arq.rsparql"]


def normal(cell):
    """A result cell from either client, in one form (Jena writes lexical forms its way)."""
    if cell is None:
        return None
    kind = "uri" if cell["type"] == "uri" else cell["type"].replace("typed-literal", "literal")
    datatype = cell.get("datatype")
    value = cell["value"]
    if datatype and datatype.rsplit("#", 1)[-1] in ("integer", "decimal", "double", "float"):
        value = format(Decimal(value).normalize(), "f")
    return (kind, value, (cell.get("xml:lang") or "").lower(), datatype)


def table(data):
    names = data["head"]["vars"]
    return sorted(
        json.dumps([normal(b.get(n)) for n in names], ensure_ascii=False)
        for b in data["results"]["bindings"]
    ), names


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_query_file_gives_kg_querys_answer_in_jena(rsparql, server, built, name):
    path = named_queries()[name].path
    done = subprocess.run(
        [*rsparql, "--service", server.endpoint, "--query", str(path), "--results", "JSON"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    jena, jena_vars = table(json.loads(done.stdout))
    store = open_store("oxigraph", built.out / "kg.nt")
    ours, our_vars = table(json.loads(serialize(run(store, name), "json")))
    assert jena_vars == our_vars
    assert jena == ours
    assert jena, f"{name} gives no rows in a standard client"

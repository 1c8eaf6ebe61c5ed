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
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from kg.query.named import named_queries
from kg.query.results import run, serialize
from kg.query.store import open_store

JAVA_DIR = Path("/usr/share/java")
# Jena's jars and those of the Debian packages libapache-jena-java depends on.
JARS = [
    "jena-arq",
    "jena-base",
    "jena-cmds",
    "jena-core",
    "jena-iri",
    "jena-rdfconnection",
    "jena-shacl",
    "jena-shex",
    "jena-tdb",
    "jena-tdb2",
    "jena-dboe-base",
    "jena-dboe-index",
    "jena-dboe-storage",
    "jena-dboe-trans-data",
    "jena-dboe-transaction",
    "commons-cli",
    "commons-codec",
    "commons-compress",
    "commons-csv",
    "commons-io",
    "commons-lang3",
    "gson",
    "guava",
    "httpclient",
    "httpcore",
    "jackson-core",
    "jackson-databind",
    "jackson-annotations",
    "jsonld-java",
    "jakarta.json-api",
    "titanium-json-ld",
    "slf4j-api",
    "slf4j-nop",
]
# Jars named with their version only.
VERSIONED = ["dexx.collection-*", "protobuf-[0-9]*", "thrift-[0-9]*", "commons-logging-[0-9]*"]


@pytest.fixture(scope="module")
def rsparql(tmp_path_factory):
    """A command line that runs Jena's rsparql; fails (never skips) when Jena is missing."""
    missing = [name for name in JARS if not (JAVA_DIR / f"{name}.jar").is_file()]
    if missing or not (Path("/usr/bin/java").exists()):
        pytest.fail(
            f"Apache Jena not found ({', '.join(missing) or 'java'}): "
            "apt-get install --no-install-recommends libapache-jena-java"
        )
    jars = [JAVA_DIR / f"{name}.jar" for name in JARS]
    for pattern in VERSIONED:
        jars += sorted(p for p in JAVA_DIR.glob(f"{pattern}.jar") if not p.is_symlink())[:1]
    # Debian's jena-core holds Xerces' classes unrelocated (xerces.*) but their message
    # files relocated (org/apache/jena/ext/xerces/…); Jena then fails at start with
    # "internal error". The files are put where the classes look for them.
    fix = tmp_path_factory.mktemp("jena-xerces")
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
        for name in jar.namelist():
            prefix = "org/apache/jena/ext/xerces/"
            if name.startswith(prefix) and name.endswith(".properties"):
                target = fix / "xerces" / name[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    classpath = ":".join([str(fix), *map(str, jars)])
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

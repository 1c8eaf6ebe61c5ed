"""Build: checked statements -> RDF graph -> validated files.

The graph follows DESIGN.md: a direct ("truthy") triple per fact, a reification
node (``rdf:Statement``) carrying its evidence, org:Membership nodes for roles,
kg:Figure nodes for numbers, and Web Annotation selectors anchoring every quote
in the article's clean text. IRIs are deterministic; there are no blank nodes.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import DataError, KGError, ValidationError
from kg.sources import SOURCE_ID
from kg.statements import Dataset, Evidence, Membership, RelationStatement, load_dataset

if TYPE_CHECKING:
    from rdflib import Graph, URIRef

__all__ = [
    "BASE",
    "PREFIXES",
    "BuildResult",
    "atomic_write",
    "build",
    "build_graph",
    "default_out",
    "entity_iri",
    "project_root",
    "resolve_build",
    "validate_graph",
]

BASE = "https://w3id.org/china-ai-kg/"
PREFIXES = {
    "kg": BASE,
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_CLASSES = {
    "Person": "schema:Person",
    "Organization": "schema:Organization",
    "StockMarket": "kg:StockMarket",
    "Product": "schema:Product",
    "Role": "org:Role",
}
OUTPUTS = ("kg.ttl", "kg.nt", "kg.jsonld")
#: What a reader sees in --out: stable links through CURRENT into the current generation.
PUBLISHED = ("kg.ttl", "kg.nt", "kg.jsonld", "manifest.json", "text")
GENERATIONS = ".generations"  #: the folder in --out holding each build, one folder a build
CURRENT = ".current"  #: the link in --out naming the current generation; swapped atomically


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
    return Path(__file__).resolve().parent.parent


def default_out(root: str | Path | None = None) -> Path:
    """Where builds go and readers look by default: ``build/`` in the project folder."""
    return (Path(root) if root else project_root()) / "build"


def expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    if prefix not in PREFIXES:
        raise DataError(f"unknown prefix in {curie!r} (known: {', '.join(PREFIXES)})")
    return PREFIXES[prefix] + local


def entity_iri(entity_id: str) -> str:
    """The IRI of an entity id such as ``person/lu-qi``."""
    return BASE + entity_id


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


class _Builder:
    def __init__(self, data: Dataset):
        from rdflib import Graph, Literal, Namespace, URIRef
        from rdflib.namespace import RDF, XSD

        self.data = data
        self.graph = Graph()
        self.Literal, self.URIRef, self.RDF, self.XSD = Literal, URIRef, RDF, XSD
        self.ns = {k: Namespace(v) for k, v in PREFIXES.items()}
        #: (source, statement id) -> the node that holds it (for kg:conflictsWith)
        self.nodes: dict[tuple[str, str], URIRef] = {}
        for prefix, ns in PREFIXES.items():
            self.graph.bind(prefix, ns, override=True)

    # -- small helpers --
    def t(self, curie: str) -> URIRef:
        return self.URIRef(expand(curie))

    def e(self, entity_id: str) -> URIRef:
        return self.URIRef(entity_iri(entity_id))

    def add(self, s: Any, p: str, o: Any) -> None:
        self.graph.add((s, self.t(p), o))

    def date(self, value: str) -> Any:
        kind = {1: "gYear", 2: "gYearMonth", 3: "date"}[value.count("-") + 1]
        return self.Literal(value, datatype=self.XSD[kind])

    def text(self, value: str, lang: str | None = None) -> Any:
        return self.Literal(value, lang=lang)

    # -- parts of the graph --
    def article(self, source_id: str) -> URIRef:
        return self.URIRef(f"{BASE}source/{source_id}")

    def evidence(self, node: URIRef, evidence: Iterable[Evidence]) -> None:
        for ev in evidence:
            span = self.URIRef(f"{BASE}evidence/{ev.source}/{ev.start}-{ev.end}")
            quote = self.URIRef(f"{span}/quote")
            position = self.URIRef(f"{span}/position")
            self.add(node, "prov:wasDerivedFrom", span)
            self.add(span, "rdf:type", self.t("oa:SpecificResource"))
            self.add(span, "oa:hasSource", self.article(ev.source))
            self.add(span, "oa:hasSelector", quote)
            self.add(span, "oa:hasSelector", position)
            self.add(quote, "rdf:type", self.t("oa:TextQuoteSelector"))
            self.add(quote, "oa:exact", self.text(ev.exact))
            self.add(position, "rdf:type", self.t("oa:TextPositionSelector"))
            self.add(
                position, "oa:start", self.Literal(ev.start, datatype=self.XSD.nonNegativeInteger)
            )
            self.add(position, "oa:end", self.Literal(ev.end, datatype=self.XSD.nonNegativeInteger))

    def reify(self, s: Any, p: str, o: Any, *extra: str) -> URIRef:
        """Add a direct triple and its rdf:Statement node; return the node.

        *extra* tells apart several statement nodes of one triple (one per source's
        statement, where sources disagree on its dates)."""
        self.add(s, p, o)
        node = self.URIRef(f"{BASE}statement/{_digest(s, expand(p), o.n3(), *extra)}")
        self.add(node, "rdf:type", self.t("rdf:Statement"))
        self.add(node, "rdf:subject", s)
        self.add(node, "rdf:predicate", self.t(p))
        self.add(node, "rdf:object", o)
        return node

    def sourced(self, s: Any, p: str, o: Any, source: str) -> None:
        """A fact from outside the article: a URL source or the method that made it."""
        node = self.reify(s, p, o)
        if source.startswith(("http://", "https://")):
            self.add(node, "prov:wasDerivedFrom", self.URIRef(source))
        else:
            self.add(node, "kg:method", self.text(source))

    def entities(self) -> None:
        for ent in self.data.entities.values():
            node = self.e(ent.id)
            self.add(node, "rdf:type", self.t(_CLASSES[ent.type]))
            self.add(node, "rdfs:label", self.text(ent.labels["zh-Hans"], "zh-Hans"))
            self.add(node, "rdfs:label", self.text(ent.labels["zh-Hant"], "zh-Hant"))
            self.sourced(node, "rdfs:label", self.text(ent.labels["en"], "en"), ent.en_source)
            if ent.kind:
                self.add(node, "schema:category", self.text(ent.kind, "en"))
            if ent.wikidata:
                qid, identified_by = ent.wikidata
                item = self.URIRef(f"http://www.wikidata.org/entity/{qid}")
                self.sourced(node, "schema:sameAs", item, identified_by)
            for label, lang, source in ent.alt_labels:
                if source:
                    self.sourced(node, "skos:altLabel", self.text(label, lang), source)
                else:
                    self.add(node, "skos:altLabel", self.text(label, lang))

    def sources(self) -> None:
        from kg.sources import TYPES

        for src in self.data.sources.values():
            node = self.article(src.id)
            meta = src.meta
            self.add(node, "rdf:type", self.t("schema:CreativeWork"))
            self.add(node, "rdf:type", self.t(TYPES[str(meta.get("type") or "NewsArticle")]))
            chinese = meta["language"] != "en"
            self.add(node, "schema:headline", self.text(meta["headline"], _tag(meta["language"])))
            if meta.get("headline_zh_hant"):
                self.add(node, "schema:headline", self.text(meta["headline_zh_hant"], "zh-Hant"))
            for key in ("publisher", "author", "editor"):
                if meta.get(key) in self.data.entities:
                    self.add(node, f"schema:{key}", self.e(meta[key]))
                elif meta.get(key):  # a name, not an entity of the graph (a page's authors)
                    self.add(node, f"schema:{key}", self.text(str(meta[key])))
            self.add(node, "schema:inLanguage", self.text(meta["language"]))
            self.add(node, "kg:sha256", self.text(src.sha256))
            if chinese:
                self.add(node, "schema:text", self.text(src.clean.text, "zh-Hans"))
                self.add(node, "schema:text", self.text(src.clean.text_hant, "zh-Hant"))
            else:
                self.add(node, "schema:text", self.text(src.clean.text, "en"))
            if meta.get("date"):
                self.add(node, "schema:datePublished", self.date(str(meta["date"])))
            if meta.get("url"):
                self.add(node, "schema:url", self.Literal(meta["url"], datatype=self.XSD.anyURI))
            for key, curie in (
                ("url_source", "kg:urlSource"),
                ("date_source", "kg:dateSource"),
                ("license_url", "schema:license"),
            ):
                if meta.get(key):
                    self.add(node, curie, self.URIRef(str(meta[key])))
            if meta.get("license"):
                self.add(node, "schema:usageInfo", self.text(str(meta["license"])))
            if meta.get("retrieved"):
                self.add(node, "kg:retrieved", self.date(str(meta["retrieved"])))
            if meta.get("opening"):
                self.add(node, "kg:isOpening", self.Literal(True))

    def qualify(self, node: URIRef, **dates: str | None) -> None:
        for key, curie in (
            ("start", "schema:startDate"),
            ("end", "schema:endDate"),
            ("date", "kg:date"),
            ("period", "kg:period"),
        ):
            if dates.get(key):
                self.add(node, curie, self.date(str(dates[key])))

    def statements(self) -> None:
        from kg.merge import merge

        for fact in merge(self.data):
            st = fact.records[0]
            assert isinstance(st, RelationStatement)
            rel = self.data.relations[st.relation]
            subject = self.e(st.subject)
            if rel.literal:
                lang = "zh-Hans" if st.relation == "formerName" else None
                obj = self.text(str(st.value), lang)
                if st.relation == "formerName":
                    self.add(subject, "skos:altLabel", obj)
            else:
                obj = self.e(str(st.object))
            # One node per fact; where sources disagree on its dates, one per source's statement.
            extra = (st.source, st.id) if fact.disputed else ()
            node = self.reify(subject, rel.predicate, obj, *extra)
            self.evidence(node, fact.evidence)
            self.qualify(node, start=fact.start, end=fact.end, date=fact.date)
            if fact.status:
                self.add(node, "kg:status", self.text(fact.status))
            for record in fact.records:
                self.nodes[(record.source, record.id)] = node

    def memberships(self) -> None:
        from kg.merge import merged_memberships

        for fact in merged_memberships(self.data):
            m = fact.records[0]
            assert isinstance(m, Membership)
            extra = (m.source, m.id) if fact.disputed else ()
            node = self.URIRef(
                f"{BASE}membership/{_digest(m.member, m.organization, m.role, fact.start, *extra)}"
            )
            self.add(node, "rdf:type", self.t("org:Membership"))
            self.add(node, "org:member", self.e(m.member))
            self.add(node, "org:organization", self.e(m.organization))
            self.add(node, "org:role", self.e(m.role))
            self.qualify(node, start=fact.start, end=fact.end)
            self.evidence(node, fact.evidence)
            for record in fact.records:
                self.nodes[(record.source, record.id)] = node

    def conflicts(self) -> None:
        """``kg:conflictsWith`` between the statements of sources that disagree (both ways)."""
        from kg.merge import conflicts

        for conflict in conflicts(self.data):
            nodes = sorted({self.nodes[(s.source, s.record)] for s in conflict.sides})
            for a in nodes:
                for b in nodes:
                    if a != b:
                        self.add(a, "kg:conflictsWith", b)

    def figures(self) -> None:
        from kg.merge import merged_figures

        for records in merged_figures(self.data):
            f = records[0]
            node = self.URIRef(f"{BASE}figure/{f.source}/{f.id}")
            for record in records:
                self.nodes[(record.source, record.id)] = node
            self.add(node, "rdf:type", self.t("kg:Figure"))
            self.add(node, "kg:measure", self.text(f.measure))
            self.add(node, "schema:about", self.e(f.subject))
            for key, curie in (
                ("value", "schema:value"),
                ("min", "schema:minValue"),
                ("max", "schema:maxValue"),
            ):
                number = getattr(f, key)
                if number is not None:
                    self.add(node, curie, self.Literal(_decimal(number), datatype=self.XSD.decimal))
            self.add(node, "schema:unitText", self.text(f.unit))
            self.add(node, "kg:isForecast", self.Literal(f.forecast))
            if f.forecaster:
                self.add(node, "kg:forecastBy", self.e(f.forecaster))
            if f.qualifier:
                self.add(node, "kg:qualifier", self.text(f.qualifier))
            self.qualify(node, period=f.period, start=f.start, end=f.end)
            self.evidence(node, [ev for record in records for ev in record.evidence])

    def events(self) -> None:
        for ev in self.data.events:
            node = self.URIRef(f"{BASE}event/{ev.source}/{ev.id}")
            self.add(node, "rdf:type", self.t("schema:Event"))
            for lang, name in sorted(ev.names.items()):
                self.add(node, "rdfs:label", self.text(name, lang))
            for entity in ev.about:
                self.add(node, "schema:about", self.e(entity))
            self.qualify(node, date=ev.date)
            self.evidence(node, ev.evidence)


def _conflict_counts(data: Dataset) -> dict[str, int]:
    """How many disagreements between sources there are, by kind (``kg conflicts``)."""
    from collections import Counter

    from kg.merge import conflicts

    return dict(sorted(Counter(c.kind for c in conflicts(data)).items()))


def _tag(language: str) -> str:
    """The language tag of a source's own text: ``zh`` (the seed's spelling) is zh-Hans."""
    return "zh-Hans" if language == "zh" else language


def _decimal(number: float) -> str:
    """The canonical xsd:decimal form: always a point, never an exponent."""
    from decimal import Decimal

    text = format(Decimal(str(number)), "f")
    return text if "." in text else text + ".0"


def build_graph(data: Dataset) -> Graph:
    """Turn a checked :class:`~kg.statements.Dataset` into an rdflib Graph."""
    builder = _Builder(data)
    builder.sources()
    builder.entities()
    builder.statements()
    builder.memberships()
    builder.figures()
    builder.events()
    builder.conflicts()
    return builder.graph


# --- validation ---------------------------------------------------------------


@dataclass
class ValidationResult:
    conforms: bool
    violations: list[str]


def validate_graph(graph: Graph, shapes: Path, ontology: Path | None = None) -> ValidationResult:
    """Validate *graph* against the SHACL *shapes* (:func:`kg.validate.validate`)."""
    from kg.validate import validate

    conforms, violations = validate(graph, shapes, ontology)
    return ValidationResult(conforms, violations)


# --- writing -------------------------------------------------------------------


def atomic_write(path: Path, data: bytes) -> Path:
    """Write *data* to a temporary file beside *path* and rename it into place.

    An interrupted or failed write leaves the old file (or none) and no temporary
    file; an OS error is a :class:`~kg.errors.KGError` naming the path.
    """
    if path.is_dir():
        raise KGError(f"{path} is a folder; give the file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise KGError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise KGError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return path


def sorted_ntriples(graph: Graph) -> bytes:
    """N-Triples, one triple a line, sorted: byte-identical from run to run."""
    text = graph.serialize(format="nt", encoding="utf-8")
    lines = sorted({line for line in text.decode("utf-8").splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8")


def _canonical_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical_json(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical_json(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
    return value


def jsonld(graph: Graph) -> bytes:
    """JSON-LD with an inline context (no remote context), in a stable order."""
    context = {prefix: ns for prefix, ns in sorted(PREFIXES.items())}
    text = graph.serialize(format="json-ld", context=context, auto_compact=True)
    doc = json.loads(text)
    doc = {
        "@context": doc.get("@context", context),
        "@graph": _canonical_json(doc.get("@graph", [])),
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def turtle(graph: Graph) -> bytes:
    """Turtle; rdflib's serializer sorts subjects and objects, so the bytes are stable."""
    return graph.serialize(format="turtle", encoding="utf-8")


@dataclass
class BuildResult:
    out: Path
    graph: Graph
    data: Dataset
    manifest: dict[str, Any]
    folder: Path | None = None  #: the generation folder the build was published in


def counts(graph: Graph) -> dict[str, Any]:
    """Counts of entities by type and facts by relation."""
    from rdflib.namespace import RDF

    types = Counter(graph.qname(str(o)) for o in graph.objects(None, RDF.type))
    relations = Counter(graph.qname(str(p)) for p in graph.objects(None, RDF.predicate))
    return {
        "triples": len(graph),
        "by_type": dict(sorted(types.items())),
        "facts_by_relation": dict(sorted(relations.items())),
    }


def _versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for dist in ("kg", "rdflib", "pyshacl", "opencc", "PyYAML"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def build(
    root: str | Path | None = None,
    out: str | Path | None = None,
    validate: bool = True,
    progress: Any = None,
) -> BuildResult:
    """Load, check, build, validate and write the graph.

    Parameters
    ----------
    root : path, optional
        The project folder with ``data/``, ``ontology.ttl`` and ``shapes.ttl``
        (default: :func:`project_root`).
    out : path, optional
        Where the outputs go (default: ``build/`` in *root*): a new generation folder,
        published whole (see :func:`publish`).
    validate : bool
        Run the SHACL validation (and refuse to write on a violation).
    progress : callable, optional
        Called with a short message as each step starts.
    """
    say = progress or (lambda message: None)
    root = Path(root) if root else project_root()
    out = Path(out) if out is not None else default_out(root)
    say(f"reading {root / 'data'}")
    data = load_dataset(root / "data")
    say(f"building the graph from {sum(data.counts().values())} records")
    graph = build_graph(data)
    if validate:
        say("validating against shapes.ttl (pySHACL)")
        result = validate_graph(graph, root / "shapes.ttl")
        if not result.conforms:
            shown = "\n  ".join(result.violations[:20])
            more = (
                f"\n  … and {len(result.violations) - 20} more"
                if len(result.violations) > 20
                else ""
            )
            raise ValidationError(
                f"the graph violates shapes.ttl ({len(result.violations)} violations); "
                f"nothing was written:\n  {shown}{more}"
            )
    say(f"writing {out}/")
    files: dict[str, bytes] = {
        "kg.ttl": turtle(graph),
        "kg.nt": sorted_ntriples(graph),
        "kg.jsonld": jsonld(graph),
    }
    for src in data.sources.values():
        if not SOURCE_ID.fullmatch(src.id):  # checked on loading; an id names files here
            raise DataError(f"source id {src.id!r} cannot name a file", src.raw_path)
        if src.meta["language"] == "en":  # an English text has no scripts to give
            files[f"text/{src.id}.en.txt"] = (src.clean.text + "\n").encode("utf-8")
        else:
            files[f"text/{src.id}.zh-Hans.txt"] = (src.clean.text + "\n").encode("utf-8")
            files[f"text/{src.id}.zh-Hant.txt"] = (src.clean.text_hant + "\n").encode("utf-8")
        files[f"text/{src.id}.report.json"] = (
            json.dumps(src.clean.report.as_dict(), ensure_ascii=False, indent=1, sort_keys=True)
            + "\n"
        ).encode("utf-8")
    manifest = {
        "sources": {
            s.id: {"raw": str(s.raw_path.relative_to(root)), "sha256": s.sha256}
            for s in data.sources.values()
        },
        "records": data.counts(),
        "conflicts": _conflict_counts(data),
        "counts": counts(graph),
        "outputs": {name: hashlib.sha256(body).hexdigest() for name, body in sorted(files.items())},
        "validated": validate,
        "versions": _versions(),
    }
    files["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode(
        "utf-8"
    )
    folder = publish(out, files)
    return BuildResult(out=out, graph=graph, data=data, manifest=manifest, folder=folder)


# --- publishing a build -----------------------------------------------------------
#
# out/kg.ttl -> .current/kg.ttl  (one stable link per name in PUBLISHED, made once)
# out/.current -> .generations/<id>  (replaced by one rename: the moment a build is published)
# out/.generations/<id>/  (each build's files; the current and the previous one are kept)
# out/.generations/.lock  (one build at a time)
#
# A reader opening out/kg.nt goes through .current when it opens the file, so it gets one
# build's file; a reader of several files resolves .current once (resolve_build). A build
# killed at any point leaves the published build as it was, and at most a hidden folder
# under .generations that the next build removes.


def resolve_build(out: str | Path | None = None) -> Path:
    """The folder of the build *out* shows now: read every file of one build from there.

    Reading ``out/manifest.json`` and then ``out/kg.nt`` could straddle a new build being
    published between the two reads; reading both from the returned folder cannot. The
    folder stays as it is (builds never change a published folder) until two more builds
    are published. *out* defaults to ``build/`` in the project folder. In a notebook:
    ``folder = resolve_build()``, then
    ``json.loads((folder / "manifest.json").read_text())`` and
    ``load_graph(folder / "kg.nt")`` read the same build.
    """
    out = Path(out) if out is not None else default_out()
    current = out / CURRENT
    if current.is_symlink():
        folder = Path(os.path.realpath(current))
        if folder.is_dir():
            return folder
    raise DataError("no build here; run `kg build` first", out)


def publish(out: str | Path, files: dict[str, bytes]) -> Path:
    """Write *files* (relative names) as a new build of *out* and publish it at once.

    The files go into a fresh folder under ``out/.generations``, are flushed to disk,
    and become what ``out/<name>`` shows by one atomic rename of the ``out/.current``
    link. Returns the new generation folder. A name that would land outside that folder
    is refused before anything is written.
    """
    out = Path(out)
    gens = out / GENERATIONS
    try:
        gens.mkdir(parents=True, exist_ok=True)
        with open(gens / ".lock", "a") as lock:
            return _publish_locked(out, gens, lock, files)
    except OSError as exc:
        raise KGError(f"cannot write {out}: {exc.strerror or exc}") from exc


def _publish_locked(out: Path, gens: Path, lock: Any, files: dict[str, bytes]) -> Path:
    import fcntl

    fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time: another's staging is safe
    _adopt_flat_build(out, gens)
    previous = _current_generation(out)
    _prune(gens, keep={previous})  # what killed builds left
    folder = Path(tempfile.mkdtemp(prefix=_stamp(), dir=gens))
    published = False
    try:
        os.chmod(folder, 0o755)
        _write_generation(folder, files)
        _fsync(gens)
        _link_published_names(out, gens)
        _replace_link(out / CURRENT, f"{GENERATIONS}/{folder.name}", gens)
        published = True
        _fsync(out)
    finally:
        if not published:
            shutil.rmtree(folder, ignore_errors=True)
    _prune(gens, keep={folder.name, previous})
    return folder


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ-", time.gmtime())


def _current_generation(out: Path) -> str | None:
    """The name of the generation ``out/.current`` points to, if it is one."""
    try:
        target = Path(os.readlink(out / CURRENT))
    except OSError:
        return None
    if target.parent != Path(GENERATIONS) or not (out / target).is_dir():
        return None
    return target.name


def pin_build(path: str | Path) -> tuple[Path, int | None]:
    """Resolve *path* (e.g. ``build/kg.nt``) to the file of one build, and keep that build.

    Returns the resolved path and an open descriptor holding a shared lock on its
    generation folder (None if the file is not in one): while it is open, later builds
    leave that folder in place. A long-running reader (``kg serve``) pins the build it
    started with, so every worker it starts, even after a rebuild, serves the same build.
    Close the descriptor to let the folder go.
    """
    import fcntl

    resolved = Path(os.path.realpath(path))
    folder = resolved.parent
    while folder.parent != folder and folder.parent.name != GENERATIONS:
        folder = folder.parent
    if folder.parent.name != GENERATIONS:
        return resolved, None
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return resolved, fd


def _pinned(folder: Path) -> bool:
    """Whether a reader holds *folder* (see :func:`pin_build`)."""
    import fcntl

    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock just taken
    return False


def _prune(gens: Path, keep: set[str | None]) -> None:
    """Remove every generation, staging folder and temporary link not kept or pinned."""
    for entry in gens.iterdir():
        if entry.name == ".lock" or entry.name in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            if not _pinned(entry):
                shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _write_generation(folder: Path, files: dict[str, bytes]) -> None:
    base = folder.resolve()
    targets = {}
    for name in files:
        target = (folder / name).resolve()
        if not target.is_relative_to(base) or target == base:
            raise DataError(
                f"refusing to write {name!r}: it would land outside the build folder {folder}"
            )
        targets[name] = target
    folders = {base, base / "text"}
    (base / "text").mkdir()
    for name, body in files.items():
        target = targets[name]
        target.parent.mkdir(parents=True, exist_ok=True)
        folders.add(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
    for path in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        _fsync(path)


def _fsync(folder: Path) -> None:
    """Flush a folder's entries (new files, renames) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_link(link: Path, target: str, gens: Path) -> None:
    """Make *link* a symlink to *target* in one rename (a folder there is moved aside)."""
    temporary = gens / f".link-{os.getpid()}-{time.monotonic_ns()}"
    os.symlink(target, temporary)
    if link.is_dir() and not link.is_symlink():  # rename cannot replace a folder with a link
        os.rename(link, gens / f".retired-{os.getpid()}-{time.monotonic_ns()}")
    os.replace(temporary, link)


def _link_published_names(out: Path, gens: Path) -> None:
    """Make each name in PUBLISHED a stable link through ``.current`` (once per --out)."""
    for name in PUBLISHED:
        link, target = out / name, f"{CURRENT}/{name}"
        if not (link.is_symlink() and os.readlink(link) == target):
            _replace_link(link, target, gens)


def _adopt_flat_build(out: Path, gens: Path) -> None:
    """Take over a folder an earlier kg wrote file by file, keeping what readers see.

    Its files become a generation of their own (hard links, else copies) and the
    current one, before the names are turned into links; its temporary files go.
    """
    flat = [n for n in PUBLISHED if (out / n).exists() and not (out / n).is_symlink()]
    if flat and not _current_generation(out):
        folder = Path(tempfile.mkdtemp(prefix=_stamp() + "adopted-", dir=gens))
        os.chmod(folder, 0o755)

        def link_or_copy(src: str, dst: str) -> None:
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)

        for name in flat:
            if (out / name).is_dir():
                shutil.copytree(
                    out / name,
                    folder / name,
                    copy_function=link_or_copy,
                    ignore=shutil.ignore_patterns(".*.tmp"),
                )
            else:
                link_or_copy(str(out / name), str(folder / name))
        _fsync(folder)
        _fsync(gens)
        _replace_link(out / CURRENT, f"{GENERATIONS}/{folder.name}", gens)
        _link_published_names(out, gens)  # each name: the same file, now through .current
    for name in PUBLISHED:  # what the earlier kg's interrupted writes left
        for stray in out.glob(f".{name}.*.tmp"):
            stray.unlink(missing_ok=True)


def sample_facts(data: Dataset, limit: int = 5, lang: str = "zh-Hans") -> list[dict[str, str]]:
    """A few facts with their quotes, founders first, for a quick look at a build."""
    order = {"founder": 0, "alumniOf": 1, "parentOrganization": 2}
    chosen = sorted(
        (s for s in data.statements if s.object),
        key=lambda s: (order.get(s.relation, 9), s.source, s.line),
    )[:limit]
    return [
        {
            "subject": data.entities[s.subject].label(lang),
            "relation": data.relations[s.relation].labels.get(lang)
            or data.relations[s.relation].labels["zh-Hans"],
            "object": data.entities[str(s.object)].label(lang),
            "quote": " … ".join(ev.exact for ev in s.evidence),
            "where": f"{s.file}:{s.line}",
        }
        for s in chosen
    ]


def load_graph(path: str | Path) -> Graph:
    """Parse a built graph file (format from its extension)."""
    from rdflib import Graph

    path = Path(path)
    fmt = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld"}.get(path.suffix)
    if fmt is None:
        raise DataError("unknown graph file type (use .ttl, .nt or .jsonld)", path)
    if not path.is_file():
        raise DataError("no such graph file; run `kg build` first", path)
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    try:
        return graph.parse(path, format=fmt)
    except OSError as exc:
        raise DataError(f"cannot read the graph file: {exc.strerror}", path) from None
    except Exception as exc:  # rdflib's parsers raise many kinds; each means a bad file
        line, reason = _syntax_error(path, exc)
        raise DataError(f"not a valid graph file: {reason}", path, line) from None


def _syntax_error(path: Path, exc: Exception) -> tuple[int | None, str]:
    """The line and reason of a graph file's syntax error, for one ``Error:`` line.

    rdflib's N-Triples parser names no line, so Oxigraph's parser (where installed)
    is asked where the file goes wrong.
    """
    lineno = getattr(exc, "lineno", None)
    reason = " ".join(str(getattr(exc, "msg", None) or exc).split()[:40]) or type(exc).__name__
    if path.suffix in (".nt", ".ttl"):
        try:
            import pyoxigraph as ox

            fmt = ox.RdfFormat.N_TRIPLES if path.suffix == ".nt" else ox.RdfFormat.TURTLE
            for _ in ox.parse(path=str(path), format=fmt):
                pass
        except ImportError:
            pass
        except SyntaxError as ox_exc:
            return ox_exc.lineno, " ".join(str(ox_exc.msg).split()[:40])
    return (lineno if isinstance(lineno, int) else None), reason

"""Build: checked statements -> RDF graph -> validated files.

The graph follows DESIGN.md: a direct ("truthy") triple per fact, a reification
node (``rdf:Statement``) carrying its evidence, org:Membership nodes for roles,
kg:Figure nodes for numbers, and Web Annotation selectors anchoring every quote
in the article's clean text. IRIs are deterministic; there are no blank nodes.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.data.dataset import load_dataset
from kg.data.model import Dataset, Evidence, Membership, RelationStatement
from kg.errors import DataError, ValidationError
from kg.graph.generations import publish
from kg.graph.writers import _sorted_text, jsonld, turtle
from kg.project import default_out, project_root
from kg.project.namespaces import BASE, PREFIXES, entity_iri, expand
from kg.sources import SOURCE_ID

if TYPE_CHECKING:
    from rdflib import Graph, URIRef

__all__ = [
    "BuildResult",
    "build",
    "build_graph",
    "counts",
    "load_graph",
    "sample_facts",
    "validate_graph",
]

_CLASSES = {
    "Person": "schema:Person",
    "Organization": "schema:Organization",
    "StockMarket": "kg:StockMarket",
    "Product": "schema:Product",
    "Role": "org:Role",
}


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
        # Speed at a million triples: one term object per IRI used again and again, and
        # straight to the store (what Graph.add does, less its per-triple checks).
        self._terms: dict[str, URIRef] = {}
        self._entities: dict[str, URIRef] = {}
        self._literals: dict[str | int, Any] = {}  # dates (str) and offsets (int)
        self._store_add = self.graph.store.add

    # -- small helpers --
    def t(self, curie: str) -> URIRef:
        try:
            return self._terms[curie]
        except KeyError:
            term = self._terms[curie] = self.URIRef(expand(curie))
            return term

    def e(self, entity_id: str) -> URIRef:
        try:
            return self._entities[entity_id]
        except KeyError:
            term = self._entities[entity_id] = self.URIRef(entity_iri(entity_id))
            return term

    def add(self, s: Any, p: str, o: Any) -> None:
        self._store_add((s, self.t(p), o), self.graph)

    def date(self, value: str) -> Any:
        try:
            return self._literals[value]
        except KeyError:
            kind = {1: "gYear", 2: "gYearMonth", 3: "date"}[value.count("-") + 1]
            term = self._literals[value] = self.Literal(value, datatype=self.XSD[kind])
            return term

    def offset(self, number: int) -> Any:
        try:
            return self._literals[number]
        except KeyError:
            term = self._literals[number] = self.Literal(
                number, datatype=self.XSD.nonNegativeInteger
            )
            return term

    def text(self, value: str, lang: str | None = None) -> Any:
        return self.Literal(value, lang=lang)

    # -- parts of the graph --
    def article(self, source_id: str) -> URIRef:
        return self.e(f"source/{source_id}")

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
            self.add(position, "oa:start", self.offset(ev.start))
            self.add(position, "oa:end", self.offset(ev.end))

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
        from kg.graph.merge import merge

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
        from kg.graph.merge import merged_memberships

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
        from kg.graph.merge import conflicts

        for conflict in conflicts(self.data):
            nodes = sorted({self.nodes[(s.source, s.record)] for s in conflict.sides})
            for a in nodes:
                for b in nodes:
                    if a != b:
                        self.add(a, "kg:conflictsWith", b)

    def figures(self) -> None:
        from kg.graph.merge import merged_figures

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

    from kg.graph.merge import conflicts

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
    """Turn a checked :class:`~kg.data.model.Dataset` into an rdflib Graph."""
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


def validate_graph(
    graph: Graph,
    shapes: Path,
    ontology: Path | None = None,
    ntriples: bytes | None = None,
    timings: dict[str, float] | None = None,
) -> ValidationResult:
    """Validate *graph* against the SHACL *shapes* (:func:`kg.validate.validate`).

    *ntriples* is :func:`sorted_ntriples` of *graph*, when the caller has it already (the
    validation reads the graph as N-Triples); *timings* gets the seconds of each part."""
    from kg.graph.validate import validate

    conforms, violations = validate(graph, shapes, ontology, ntriples=ntriples, timings=timings)
    return ValidationResult(conforms, violations)


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
    for dist in ("kg", "rdflib", "shacl", "pyoxigraph", "opencc", "PyYAML"):
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
    # N-Triples written once: validated, and the other files made from the same lines
    text = _sorted_text(graph, None)
    ntriples = text.encode("utf-8")
    if validate:
        say("validating against shapes.ttl (shacl engine, SPARQL checks on pyoxigraph)")
        result = validate_graph(graph, root / "shapes.ttl", ntriples=ntriples)
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
        "kg.ttl": turtle(graph, text),
        "kg.nt": ntriples,
        "kg.jsonld": jsonld(graph, text),
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

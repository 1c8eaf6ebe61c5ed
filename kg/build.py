"""Build: checked statements -> RDF graph -> validated files.

The graph follows DESIGN.md: a direct ("truthy") triple per fact, a reification
node (``rdf:Statement``) carrying its evidence, org:Membership nodes for roles,
kg:Figure nodes for numbers, and Web Annotation selectors anchoring every quote
in the article's clean text. IRIs are deterministic; there are no blank nodes.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import platform
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.datafile import atomic_write
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
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "data" / "entities.yaml").is_file():
        return checkout
    raise KGError(
        f"no kg project in {here} or above it (a folder holding data/entities.yaml): "
        "create one with `kg init FOLDER`, or set KG_HOME"
    )


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
    from kg.validate import validate

    conforms, violations = validate(graph, shapes, ontology, ntriples=ntriples, timings=timings)
    return ValidationResult(conforms, violations)


# --- writing -------------------------------------------------------------------


# The three files are written by the functions below rather than by rdflib's serializers,
# which took a minute at a million triples (Turtle 38 s, JSON-LD 22 s). N-Triples is written
# term by term as rdflib writes it (the same bytes), once, sorted; the build validates those
# bytes and makes the other two files from the same sorted lines: Turtle (its own layout,
# which parses back to the identical graph) and JSON-LD (rdflib's compact form with the
# inline context: the same document, the same bytes). Language tags come from rdflib's
# terms, so they keep their canonical case (zh-Hans, zh-Hant, en); Oxigraph, which
# lowercases them, writes none of these files.


def _nt_literal(lit: Any) -> str:
    """A literal in N-Triples, escaped exactly as rdflib's N-Triples writer escapes it."""
    quoted = (
        '"'
        + str(lit)
        .replace("\\", "\\\\")
        .replace("\n", "\\n")
        .replace('"', '\\"')
        .replace("\r", "\\r")
        + '"'
    )
    if lit.language:
        return f"{quoted}@{lit.language}"
    if lit.datatype:
        return f"{quoted}^^<{lit.datatype}>"
    return quoted


def _by_subject(graph: Graph) -> Iterable[tuple[Any, Iterable[tuple[Any, Iterable[Any]]]]]:
    """The graph's triples as (subject, ((predicate, objects), ...)).

    From the subject index of rdflib's in-memory store when that index holds this graph
    and nothing else (a plain ``Graph()``, as the build makes): four times faster than
    ``graph.triples()``, which works out each triple's contexts. Otherwise from
    ``graph.triples()``."""
    from rdflib.plugins.stores.memory import Memory

    spo = getattr(graph.store, "_Memory__spo", None)
    if (
        type(graph.store) is Memory
        and isinstance(spo, dict)
        and not graph.context_aware
        and sum(len(objs) for po in spo.values() for objs in po.values()) == len(graph)
    ):
        return ((s, po.items()) for s, po in spo.items())
    return ((s, ((p, (o,)),)) for s, p, o in graph.triples((None, None, None)))


def ntriples_lines(graph: Graph) -> list[str]:
    """The graph's triples as N-Triples lines (each ending in a line break), unsorted.

    The same lines as rdflib's N-Triples writer, several times faster: each IRI is
    written once (``n3()``, which refuses an IRI that cannot be written) and reused."""
    from rdflib import Literal

    iris: dict[Any, str] = {}

    def n3(term: Any) -> str:
        try:
            return iris[term]
        except KeyError:
            written = iris[term] = term.n3()
            return written

    lines = []
    for s, po in _by_subject(graph):
        subject = n3(s)
        for p, objs in po:
            head = f"{subject} {n3(p)} "
            for o in objs:
                obj = _nt_literal(o) if isinstance(o, Literal) else n3(o)
                lines.append(f"{head}{obj} .\n")
    return lines


def sorted_ntriples(graph: Graph) -> bytes:
    """N-Triples, one triple a line, sorted: byte-identical from run to run."""
    return "".join(sorted(set(ntriples_lines(graph)))).encode("utf-8")


def _sorted_text(graph: Graph, ntriples: bytes | str | None) -> str:
    """:func:`sorted_ntriples` of *graph* as text: *ntriples* when the caller has it."""
    if ntriples is None:
        return "".join(sorted(set(ntriples_lines(graph))))
    return ntriples if isinstance(ntriples, str) else ntriples.decode("utf-8")


_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_XSD = PREFIXES["xsd"]
_BARE = {  # literals Turtle may write without quotes, when their form is exactly this
    f"<{_XSD}boolean>": re.compile(r"true|false"),
    f"<{_XSD}integer>": re.compile(r"[+-]?[0-9]+"),
    f"<{_XSD}decimal>": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
}


def _turtle_term(term: str, names: dict[str, str]) -> str:
    """An N-Triples term as Turtle: an IRI as a prefixed name where that is safe."""
    try:
        return names[term]
    except KeyError:
        pass
    written = term
    if term.startswith("<"):
        iri = term[1:-1]
        for prefix, ns in PREFIXES.items():
            if iri.startswith(ns) and _LOCAL_NAME.fullmatch(iri[len(ns) :]):
                written = f"{prefix}:{iri[len(ns) :]}"
                break
    names[term] = written
    return written


def _turtle_object(term: str, names: dict[str, str]) -> str:
    if not term.startswith('"'):
        return _turtle_term(term, names)
    # A literal: its closing quote is its last '"' (inside, quotes are escaped; a
    # language tag or datatype IRI holds none), so the tag or datatype is what follows.
    close = term.rindex('"')
    suffix = term[close + 1 :]
    if suffix.startswith("^^"):
        datatype = suffix[2:]
        bare = _BARE.get(datatype)
        if bare is not None and bare.fullmatch(term[1:close]):
            return term[1:close]
        return f"{term[: close + 1]}^^{_turtle_term(datatype, names)}"
    return term


def turtle(graph: Graph, ntriples: bytes | str | None = None) -> bytes:
    """Turtle in a stable order: subjects as sorted in N-Triples, ``a`` first, then the
    predicates and each one's objects sorted; literals written as N-Triples writes them.

    *ntriples* is :func:`sorted_ntriples` of *graph* (bytes or text), when the caller has
    it already.
    """
    text = _sorted_text(graph, ntriples)
    names: dict[str, str] = {}
    out = [f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in sorted(PREFIXES.items())]
    subject = None
    groups: list[tuple[str, list[str]]] = []

    def flush() -> None:
        if subject is None:
            return
        groups.sort(key=lambda g: g[0] != _TYPE)  # stable: ``a`` first, the rest in order
        body = " ;\n    ".join(
            ("a" if p == _TYPE else _turtle_term(p, names)) + " " + ",\n        ".join(objs)
            for p, objs in groups
        )
        out.append(f"\n{_turtle_term(subject, names)} {body} .\n")

    # Split at line breaks only: a literal may hold U+2028 and the like, which
    # str.splitlines() would split at too (N-Triples escapes only \n and \r).
    for line in text.split("\n")[:-1]:
        s, p, o = line.split(" ", 2)  # IRIs and blank node labels hold no spaces
        o = o[:-2]
        if s != subject:
            flush()
            subject, groups = s, []
        if groups and groups[-1][0] == p:
            groups[-1][1].append(_turtle_object(o, names))
        else:
            groups.append((p, [_turtle_object(o, names)]))
    flush()
    return "".join(out).encode("utf-8")


_CONTROL = re.compile(r"[\x00-\x1f]")


def _jsonld_namer() -> Any:
    """rdflib's ``Context.shrink_iri`` / ``to_symbol`` for the context of :data:`PREFIXES`:
    ``prefix:name`` where the IRI's namespace (up to its last '#', else '/', else ':') is a
    prefix, the IRI itself otherwise; each IRI worked out once."""
    prefixes = {ns: prefix for prefix, ns in sorted(PREFIXES.items())}
    names: dict[str, str] = {}

    def name(iri: str) -> str:
        try:
            return names[iri]
        except KeyError:
            pass
        written = iri
        for delim in ("#", "/", ":"):
            at = iri.rfind(delim)
            if at > -1:
                prefix = prefixes.get(iri[: at + 1])
                if prefix:
                    written = f"{prefix}:{iri[at + 1 :]}"
                break
        names[iri] = written
        return written

    return name


#: A JSON value as it is written: (``json.dumps`` of it with sorted keys, which is its
#: sort key; as the one value of a key, indented; as an item of a key's list, indented).
_Json = tuple[str, str, str]


def _json_value(compact: str, members: list[tuple[str, str]] | None = None) -> _Json:
    """A value as ``json.dumps(..., indent=1)`` writes it as a node's key's value (at
    indent 3) and as an item of such a key's list (at indent 4)."""
    if members is None:
        return compact, compact, "    " + compact
    alone = ",\n".join(f"    {k}: {v}" for k, v in members)
    in_list = ",\n".join(f"     {k}: {v}" for k, v in members)
    return compact, "{\n" + alone + "\n   }", "    {\n" + in_list + "\n    }"


def _jsonld_value(term: str, name: Any, enc: Any) -> _Json:
    """An N-Triples object as rdflib's compact JSON-LD writes it (context active)."""
    if term.startswith(("<", "_:")):
        ref = enc(term if term.startswith("_:") else name(term[1:-1]))
        return _json_value('{"@id": ' + ref + "}", [('"@id"', ref)])
    close = term.rindex('"')
    quoted, suffix = term[: close + 1], term[close + 1 :]
    # N-Triples escapes \\ \n \" \r as JSON does; any other control character is raw in
    # N-Triples but escaped in JSON, so only then is the string decoded and encoded again.
    if _CONTROL.search(quoted):
        quoted = enc(json.loads(quoted, strict=False))
    if not suffix:
        return _json_value(quoted)
    if suffix.startswith("@"):
        members = [('"@language"', enc(suffix[1:])), ('"@value"', quoted)]
    else:
        datatype = suffix[3:-1]
        if datatype in _JSON_NATIVE:  # as rdflib: the Python value, in JSON
            from rdflib import Literal, URIRef

            value = Literal(json.loads(quoted, strict=False), datatype=URIRef(datatype))
            return _json_value(json.dumps(value.toPython(), ensure_ascii=False))
        members = [('"@type"', enc(name(datatype))), ('"@value"', quoted)]
    return _json_value("{" + ", ".join(f"{k}: {v}" for k, v in members) + "}", members)


_JSON_NATIVE = {f"{_XSD}{t}" for t in ("boolean", "integer", "double", "string")}


def jsonld(graph: Graph, ntriples: bytes | str | None = None) -> bytes:
    """JSON-LD with an inline context (no remote context), in a stable order.

    The document rdflib's JSON-LD writer makes with the context of :data:`PREFIXES`
    (``auto_compact``): one node object a subject, keys and types compacted to
    ``prefix:name``, a key's one value bare and several a list; every list sorted and
    the document written with sorted keys, indented by one space, as
    ``json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True)`` writes it (the same
    bytes as before, when rdflib wrote it: a test compares the two). Made here from the
    sorted N-Triples (*ntriples*, bytes or text, when the caller has it), with ``json``'s
    own string encoder.
    """
    from bisect import bisect_left
    from json.encoder import encode_basestring as enc  # what ensure_ascii=False uses

    text = _sorted_text(graph, ntriples)
    name = _jsonld_namer()
    keys: dict[str, tuple[str, str]] = {_TYPE: ("@type", '"@type"')}  # predicate -> key
    types: dict[str, _Json] = {}  # an rdf:type's IRI -> its value
    values_of: dict[str, _Json] = {}  # each distinct object worked out once
    nodes: list[tuple[str, dict[str, list[_Json]]]] = []
    subject = None
    node: dict[str, list[_Json]] = {}
    for line in text.split("\n")[:-1]:  # line breaks only (see turtle())
        s, p, o = line.split(" ", 2)  # IRIs and blank node labels hold no spaces
        o = o[:-2]
        if s != subject:
            subject, node = s, {}
            nodes.append((enc(s if s.startswith("_:") else name(s[1:-1])), node))
        known = keys.get(p)
        if known is None:
            symbol = name(p[1:-1])
            known = keys[p] = (symbol, enc(symbol))
        if p == _TYPE and o.startswith("<"):
            value = types.get(o)
            if value is None:
                value = types[o] = _json_value(enc(name(o[1:-1])))
        else:
            value = values_of.get(o)
            if value is None:
                value = values_of[o] = _jsonld_value(o, name, enc)
        values = node.get(known[0])
        if values is None:
            node[known[0]] = [value]
        else:
            values.append(value)
    encoded = dict(keys.values())
    nodes.sort(key=lambda n: n[0])
    first = operator.itemgetter(0)
    context = ",\n".join(f"  {enc(k)}: {enc(v)}" for k, v in sorted(PREFIXES.items()))
    out = ["{\n", ' "@context": {\n', context, "\n },\n", ' "@graph": [']
    for sid, node in nodes:
        members = []
        ordered = sorted(node)
        for key in ordered:
            values = node[key]
            if len(values) == 1:
                members.append(f"{encoded[key]}: {values[0][1]}")
            else:
                values.sort(key=first)
                items = ",\n".join(v[2] for v in values)
                members.append(f"{encoded[key]}: [\n{items}\n   ]")
        # "@id" sorts first, unless a key sorts before it (none does: keys are IRIs,
        # prefixed names and "@type"; but json.dumps would put it there)
        members.insert(bisect_left(ordered, "@id"), f'"@id": {sid}')
        out.append("\n  {\n   " + ",\n   ".join(members) + "\n  },")
    if nodes:
        out[-1] = out[-1][:-1] + "\n "
    out.append("]\n}\n")
    return "".join(out).encode("utf-8")


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

"""The triples of the graph: each checked record of the dataset as RDF.

The graph follows DESIGN.md: a direct ("truthy") triple per fact, a reification
node (``rdf:Statement``) carrying its evidence, org:Membership nodes for roles,
kg:Figure nodes for numbers, and Web Annotation selectors anchoring every quote
in the article's clean text. IRIs are deterministic; there are no blank nodes.
:func:`kg.graph.build.build_graph` drives it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kg.data.model import Dataset, Evidence, Membership, RelationStatement
from kg.project.namespaces import BASE, PREFIXES, entity_iri, expand

if TYPE_CHECKING:
    from rdflib import URIRef

    from kg.graph.merge import MergedFact

_CLASSES = {
    "Person": "schema:Person",
    "Organization": "schema:Organization",
    "StockMarket": "kg:StockMarket",
    "Product": "schema:Product",
    "Role": "org:Role",
}

#: Which quotes state which date of a fact (each a sub-property of prov:wasDerivedFrom).
_DATE_EVIDENCE = (
    ("start", "kg:startDateFrom"),
    ("end", "kg:endDateFrom"),
    ("date", "kg:dateFrom"),
)


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

    def evidence(self, node: URIRef, evidence: Iterable[Evidence]) -> list[URIRef]:
        """Link *node* to a span per quote (``prov:wasDerivedFrom``); return the spans."""
        spans: list[URIRef] = []
        for ev in evidence:
            if ev.start is None:  # a cited source's quote never checked against its text
                digest = hashlib.sha256(ev.exact.encode("utf-8")).hexdigest()[:16]
                span = self.URIRef(f"{BASE}evidence/{ev.source}/quote-{digest}-{ev.occurrence}")
            else:
                span = self.URIRef(f"{BASE}evidence/{ev.source}/{ev.start}-{ev.end}")
            quote = self.URIRef(f"{span}/quote")
            self.add(node, "prov:wasDerivedFrom", span)
            spans.append(span)
            self.add(span, "rdf:type", self.t("oa:SpecificResource"))
            self.add(span, "oa:hasSource", self.article(ev.source))
            self.add(span, "oa:hasSelector", quote)
            self.add(quote, "rdf:type", self.t("oa:TextQuoteSelector"))
            self.add(quote, "oa:exact", self.text(ev.exact))
            if ev.checked is not None:
                self.add(span, "kg:quoteCheck", self.text(self.check_note(ev)))
            if ev.start is not None and ev.end is not None:
                position = self.URIRef(f"{span}/position")
                self.add(span, "oa:hasSelector", position)
                self.add(position, "rdf:type", self.t("oa:TextPositionSelector"))
                self.add(position, "oa:start", self.offset(ev.start))
                self.add(position, "oa:end", self.offset(ev.end))
        return spans

    def dated_evidence(self, node: URIRef, fact: MergedFact) -> None:
        """Each record's quotes, and which of the fact's dates that record states.

        A fact merges the statements of several sources; a date is cited only by the quotes
        of a statement that gives that very date (``kg:endDateFrom`` …), so a departure never
        cites a quote that only dates the joining, or states the year but not the month."""
        for record in fact.records:
            spans = self.evidence(node, record.evidence)
            for key, curie in _DATE_EVIDENCE:
                value = getattr(fact, key)
                if value and getattr(record, key, None) == value:
                    for span in spans:
                        self.add(node, curie, span)

    def check_note(self, ev: Evidence) -> str:
        """How a cited source's quote is known to be in its text (kg:quoteCheck)."""
        digest = self.data.sources[ev.source].sha256
        if ev.checked == "build":
            return f"checked in this build against the cached text (sha256 {digest})"
        if ev.checked:
            return f"quoted; checked against sha256 {digest} on {ev.checked}"
        return f"quoted; not checked against the text (sha256 {digest})"

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
            if src.cited or src.clean is None:  # kept by quotation only: in no output
                self.add(node, "kg:quotedOnly", self.Literal(True))
            elif chinese:
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
            self.dated_evidence(node, fact)
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
            self.dated_evidence(node, fact)
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


def _tag(language: str) -> str:
    """The language tag of a source's own text: ``zh`` (the seed's spelling) is zh-Hans."""
    return "zh-Hans" if language == "zh" else language


def _decimal(number: float) -> str:
    """The canonical xsd:decimal form: always a point, never an exponent."""
    from decimal import Decimal

    text = format(Decimal(str(number)), "f")
    return text if "." in text else text + ".0"

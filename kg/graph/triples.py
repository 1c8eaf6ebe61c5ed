"""The triples of the graph: each checked record of the dataset as RDF.

The graph follows DESIGN.md: a direct ("truthy") triple per fact, a reification
node (``rdf:Statement``) carrying its evidence, org:Membership nodes for roles,
kg:Figure nodes for numbers, and Web Annotation selectors anchoring every quote
in the article's clean text. IRIs are deterministic; there are no blank nodes.

The triples are made as N-Triples lines (``<s> <p> "o"@zh-Hans .``, without the line break),
each term written as rdflib's N-Triples writer wrote it, so that the build never holds an
rdflib graph: it sorts the lines, writes them, and loads them into Oxigraph.
:func:`kg.graph.build.build_graph` parses them into rdflib for the library's callers;
:mod:`kg.graph.fragments` makes them piece by piece, so that a build reuses the pieces a
change cannot affect.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from kg.data.model import (
    Dataset,
    Entity,
    Event,
    Evidence,
    Figure,
    Membership,
    RelationStatement,
)
from kg.errors import DataError
from kg.project.namespaces import BASE, PREFIXES, entity_iri, expand

if TYPE_CHECKING:
    from kg.graph.merge import Conflict, MergedFact
    from kg.sources import Source

#: A term as N-Triples writes it: ``<iri>``, ``"text"@lang`` or ``"lexical"^^<datatype>``.
Term = str

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


_XSD = PREFIXES["xsd"]
_NOT_IN_IRI = re.compile(r'[<>" {}|\\^`]')  # what rdflib refused to write in an IRI


def iri_term(iri: str) -> Term:
    """An IRI as an N-Triples term; an IRI N-Triples cannot write is refused."""
    if _NOT_IN_IRI.search(iri):
        raise DataError(f"{iri!r} cannot be written as an IRI (a space, quote or bracket)")
    return f"<{iri}>"


def literal_term(value: str, lang: str | None = None, datatype: str | None = None) -> Term:
    """A literal as an N-Triples term, escaped exactly as rdflib's N-Triples writer did."""
    quoted = (
        '"'
        + value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r")
        + '"'
    )
    if lang:
        return f"{quoted}@{lang}"
    if datatype:
        return f"{quoted}^^<{datatype}>"
    return quoted


def _n3(term: Term, value: str | None = None, lang: str | None = None) -> str:
    """The term as rdflib's ``n3()`` writes it (part of statement node IRIs): its N-Triples
    form, but for a literal with a line break, which rdflib writes in triple quotes."""
    if value is not None and "\n" in value:
        from rdflib import Literal

        return str(Literal(value, lang=lang).n3())
    return term


class _Builder:
    """Makes the graph's triples as N-Triples lines into :attr:`lines` (unsorted; a triple may
    come more than once). The methods named after the graph's parts make all of a part;
    :mod:`kg.graph.fragments` calls the ones that make one record's triples."""

    def __init__(self, data: Dataset):
        self.data = data
        self.lines: list[str] = []
        #: (source, statement id) -> the node that holds it (for kg:conflictsWith)
        self.nodes: dict[tuple[str, str], Term] = {}
        # Speed at a million triples: each term written once and reused.
        self._terms: dict[str, Term] = {}
        self._entities: dict[str, Term] = {}
        self._literals: dict[str | int, Term] = {}  # dates (str) and offsets (int)
        self._n3: dict[Term, str] = {}  # literal objects whose n3() differs from N-Triples

    # -- small helpers --
    URIRef = staticmethod(iri_term)

    def t(self, curie: str) -> Term:
        try:
            return self._terms[curie]
        except KeyError:
            term = self._terms[curie] = self.URIRef(expand(curie))
            return term

    def e(self, entity_id: str) -> Term:
        try:
            return self._entities[entity_id]
        except KeyError:
            term = self._entities[entity_id] = self.URIRef(entity_iri(entity_id))
            return term

    def add(self, s: Term, p: str, o: Term) -> None:
        self.lines.append(f"{s} {self.t(p)} {o} .")

    def date(self, value: str) -> Term:
        try:
            return self._literals[value]
        except KeyError:
            kind = {1: "gYear", 2: "gYearMonth", 3: "date"}[value.count("-") + 1]
            term = self._literals[value] = literal_term(value, datatype=_XSD + kind)
            return term

    def offset(self, number: int) -> Term:
        try:
            return self._literals[number]
        except KeyError:
            term = self._literals[number] = f'"{int(number)}"^^<{_XSD}nonNegativeInteger>'
            return term

    def text(self, value: str, lang: str | None = None) -> Term:
        term = literal_term(value, lang)
        if "\n" in value:
            self._n3[term] = _n3(term, value, lang)
        return term

    @staticmethod
    def boolean(value: bool) -> Term:
        return f'"{"true" if value else "false"}"^^<{_XSD}boolean>'

    # -- parts of the graph --
    def article(self, source_id: str) -> Term:
        return self.e(f"source/{source_id}")

    def evidence(self, node: Term, evidence: Iterable[Evidence]) -> list[Term]:
        """Link *node* to a span per quote (``prov:wasDerivedFrom``); return the spans."""
        spans: list[Term] = []
        for ev in evidence:
            if ev.start is None:  # a cited source's quote never checked against its text
                digest = hashlib.sha256(ev.exact.encode("utf-8")).hexdigest()[:16]
                at = f"{BASE}evidence/{ev.source}/quote-{digest}-{ev.occurrence}"
            else:
                at = f"{BASE}evidence/{ev.source}/{ev.start}-{ev.end}"
            span = self.URIRef(at)
            quote = self.URIRef(f"{at}/quote")
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
                position = self.URIRef(f"{at}/position")
                self.add(span, "oa:hasSelector", position)
                self.add(position, "rdf:type", self.t("oa:TextPositionSelector"))
                self.add(position, "oa:start", self.offset(ev.start))
                self.add(position, "oa:end", self.offset(ev.end))
        return spans

    def dated_evidence(self, node: Term, fact: MergedFact) -> None:
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

    def reify(self, s: Term, p: str, o: Term, *extra: str) -> Term:
        """Add a direct triple and its rdf:Statement node; return the node.

        *extra* tells apart several statement nodes of one triple (one per source's
        statement, where sources disagree on its dates)."""
        self.add(s, p, o)
        node = self.URIRef(
            f"{BASE}statement/{_digest(s[1:-1], expand(p), self._n3.get(o, o), *extra)}"
        )
        self.add(node, "rdf:type", self.t("rdf:Statement"))
        self.add(node, "rdf:subject", s)
        self.add(node, "rdf:predicate", self.t(p))
        self.add(node, "rdf:object", o)
        return node

    def sourced(self, s: Term, p: str, o: Term, source: str) -> None:
        """A fact from outside the article: a URL source or the method that made it."""
        node = self.reify(s, p, o)
        if source.startswith(("http://", "https://")):
            self.add(node, "prov:wasDerivedFrom", self.URIRef(source))
        else:
            self.add(node, "kg:method", self.text(source))

    # -- the whole graph, part by part (see kg.graph.fragments.plan) --
    def entities(self) -> None:
        for ent in self.data.entities.values():
            self.entity(ent)

    # -- one record (or merged fact) at a time --
    def entity(self, ent: Entity) -> None:
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

    def source(self, src: Source) -> None:
        from kg.sources import TYPES

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
            self.add(node, "kg:quotedOnly", self.boolean(True))
        elif chinese:
            self.add(node, "schema:text", self.text(src.clean.text, "zh-Hans"))
            self.add(node, "schema:text", self.text(src.clean.text_hant, "zh-Hant"))
        else:
            self.add(node, "schema:text", self.text(src.clean.text, "en"))
        if meta.get("date"):
            self.add(node, "schema:datePublished", self.date(str(meta["date"])))
        if meta.get("url"):
            self.add(node, "schema:url", literal_term(str(meta["url"]), datatype=_XSD + "anyURI"))
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
            self.add(node, "kg:isOpening", self.boolean(True))

    def qualify(self, node: Term, **dates: str | None) -> None:
        for key, curie in (
            ("start", "schema:startDate"),
            ("end", "schema:endDate"),
            ("date", "kg:date"),
            ("period", "kg:period"),
        ):
            if dates.get(key):
                self.add(node, curie, self.date(str(dates[key])))

    def statement_object(self, st: RelationStatement) -> Term:
        if self.data.relations[st.relation].literal:
            lang = "zh-Hans" if st.relation == "formerName" else None
            return self.text(str(st.value), lang)
        return self.e(str(st.object))

    def statement_node(self, fact: MergedFact) -> Term:
        """The node of a merged relation fact (without making its triples)."""
        st = fact.records[0]
        assert isinstance(st, RelationStatement)
        obj = self.statement_object(st)
        extra = (st.source, st.id) if fact.disputed else ()
        predicate = expand(self.data.relations[st.relation].predicate)
        subject = entity_iri(st.subject)
        return self.URIRef(
            f"{BASE}statement/{_digest(subject, predicate, self._n3.get(obj, obj), *extra)}"
        )

    def statement(self, fact: MergedFact) -> None:
        st = fact.records[0]
        assert isinstance(st, RelationStatement)
        rel = self.data.relations[st.relation]
        subject = self.e(st.subject)
        obj = self.statement_object(st)
        if rel.literal and st.relation == "formerName":
            self.add(subject, "skos:altLabel", obj)
        # One node per fact; where sources disagree on its dates, one per source's statement.
        extra = (st.source, st.id) if fact.disputed else ()
        node = self.reify(subject, rel.predicate, obj, *extra)
        self.dated_evidence(node, fact)
        self.qualify(node, start=fact.start, end=fact.end, date=fact.date)
        if fact.status:
            self.add(node, "kg:status", self.text(fact.status))
        for record in fact.records:
            self.nodes[(record.source, record.id)] = node

    def membership_node(self, fact: MergedFact) -> Term:
        m = fact.records[0]
        assert isinstance(m, Membership)
        extra = (m.source, m.id) if fact.disputed else ()
        return self.URIRef(
            f"{BASE}membership/{_digest(m.member, m.organization, m.role, fact.start, *extra)}"
        )

    def membership(self, fact: MergedFact) -> None:
        m = fact.records[0]
        assert isinstance(m, Membership)
        node = self.membership_node(fact)
        self.add(node, "rdf:type", self.t("org:Membership"))
        self.add(node, "org:member", self.e(m.member))
        self.add(node, "org:organization", self.e(m.organization))
        self.add(node, "org:role", self.e(m.role))
        self.qualify(node, start=fact.start, end=fact.end)
        self.dated_evidence(node, fact)
        for record in fact.records:
            self.nodes[(record.source, record.id)] = node

    def figure_node(self, records: tuple[Figure, ...]) -> Term:
        return self.URIRef(f"{BASE}figure/{records[0].source}/{records[0].id}")

    def figure(self, records: tuple[Figure, ...]) -> None:
        f = records[0]
        node = self.figure_node(records)
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
                self.add(node, curie, literal_term(_decimal(number), datatype=_XSD + "decimal"))
        self.add(node, "schema:unitText", self.text(f.unit))
        self.add(node, "kg:isForecast", self.boolean(f.forecast))
        if f.forecaster:
            self.add(node, "kg:forecastBy", self.e(f.forecaster))
        if f.qualifier:
            self.add(node, "kg:qualifier", self.text(f.qualifier))
        self.qualify(node, period=f.period, start=f.start, end=f.end)
        self.evidence(node, [ev for record in records for ev in record.evidence])

    def event_node(self, ev: Event) -> Term:
        return self.URIRef(f"{BASE}event/{ev.source}/{ev.id}")

    def event(self, ev: Event) -> None:
        node = self.event_node(ev)
        self.add(node, "rdf:type", self.t("schema:Event"))
        for lang, name in sorted(ev.names.items()):
            self.add(node, "rdfs:label", self.text(name, lang))
        for entity in ev.about:
            self.add(node, "schema:about", self.e(entity))
        self.qualify(node, date=ev.date)
        self.evidence(node, ev.evidence)

    def conflict(self, conflict: Conflict, nodes: dict[tuple[str, str], Term]) -> None:
        """``kg:conflictsWith`` between the nodes of a conflict's sides (*nodes*: by
        (source, record id)), both ways."""
        sides = sorted({nodes[(s.source, s.record)] for s in conflict.sides})
        for a in sides:
            for b in sides:
                if a != b:
                    self.add(a, "kg:conflictsWith", b)


def graph_lines(data: Dataset) -> list[str]:
    """Every triple of *data*'s graph as an N-Triples line (unsorted, possibly repeated), made
    in one go (the build makes the same lines piece by piece: :mod:`kg.graph.fragments`)."""
    from kg.graph.merge import merge_all

    merged = merge_all(data)  # the facts merged once, for their triples and their conflicts
    builder = _Builder(data)
    for src in data.sources.values():
        builder.source(src)
    builder.entities()
    for fact in merged.facts:
        builder.statement(fact)
    for fact in merged.memberships:
        builder.membership(fact)
    for records in merged.figures:
        builder.figure(records)
    for ev in data.events:
        builder.event(ev)
    for conflict in merged.conflicts:
        builder.conflict(conflict, builder.nodes)
    return builder.lines


def _tag(language: str) -> str:
    """The language tag of a source's own text: ``zh`` (the seed's spelling) is zh-Hans."""
    return "zh-Hans" if language == "zh" else language


def _decimal(number: float) -> str:
    """The canonical xsd:decimal form: always a point, never an exponent."""
    from decimal import Decimal

    text = format(Decimal(str(number)), "f")
    return text if "." in text else text + ".0"

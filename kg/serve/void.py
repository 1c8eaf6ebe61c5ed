"""The dataset's description at ``/.well-known/void``: VoID (W3C Interest Group Note) and DCAT 2.

What it says, and where each part comes from:

- the dataset ``https://w3id.org/china-ai-kg/dataset`` (a ``void:Dataset`` and a
  ``dcat:Dataset``), its title and ``void:uriSpace`` (the project's namespace);
- ``void:sparqlEndpoint`` and the DCAT data services (the SPARQL endpoint, the
  reconciliation service), built from the address `kg serve` was configured with,
  never from a request's ``Host`` header;
- its size from the served build's ``manifest.json``: ``void:triples``,
  ``void:entities`` (the entity registry's records) and one ``void:classPartition``
  per class with its count; left out when the graph came with no manifest;
- ``void:vocabulary``: the namespaces the graph's terms come from;
- ``dcterms:source``: each source, with its title, its URL (``dcat:landingPage``) and
  its licence as ``data/sources/*.meta.yaml`` recorded it (``license_url`` as
  ``dcterms:license``, ``license`` as ``dcterms:rights``), read from the served graph
  so that it describes the build being served.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kg.project.namespaces import BASE, PREFIXES

__all__ = ["DATASET", "VOCABULARIES", "void_graph"]

DATASET = BASE + "dataset"
#: The namespaces the graph's terms come from (xsd names only datatypes; owl only the ontology).
VOCABULARIES = tuple(
    PREFIXES[p] for p in ("kg", "schema", "org", "prov", "oa", "skos", "rdf", "rdfs")
)
RECONCILIATION_SPEC = (
    "https://www.w3.org/community/reports/reconciliation/CG-FINAL-specs-0.2-20230410/"
)
_NOT_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`]')
_STAMP = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-.*)?")

SOURCES_QUERY = f"""PREFIX schema: <https://schema.org/>
SELECT ?s ?title ?url ?license ?usage WHERE {{
  ?s a schema:CreativeWork .
  FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{BASE}source/"))
  OPTIONAL {{ ?s schema:headline ?title }}
  OPTIONAL {{ ?s schema:url ?url }}
  OPTIONAL {{ ?s schema:license ?license }}
  OPTIONAL {{ ?s schema:usageInfo ?usage }}
}}"""


def _manifest(path: Path | None) -> dict[str, Any]:
    if path is None or not path.is_file():
        return {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"kg serve: {path.name} unreadable, VoID without counts: {exc}\n")
        return {}
    return loaded if isinstance(loaded, dict) else {}


def void_graph(app: Any, select: Callable[[Any, str], list[dict[str, Any]]]) -> Any:
    """The VoID/DCAT description of the dataset *app* serves, as an rdflib Graph."""
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, VOID, XSD

    from kg.query.store import canonical_tag

    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    g = Graph()
    for prefix, ns in (
        ("void", VOID),
        ("dcat", DCAT),
        ("dcterms", DCTERMS),
        ("foaf", FOAF),
        ("sd", sd),
    ):
        g.bind(prefix, ns)
    dataset = URIRef(DATASET)
    endpoint = URIRef(app.base)  # the configured address, never the Host header
    reconcile = URIRef(app.public + "/reconcile")
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.title, Literal("China AI talent knowledge graph", lang="en")))
    g.add((dataset, DCTERMS.title, Literal("中国AI人才知识图谱", lang="zh-Hans")))
    g.add(
        (
            dataset,
            DCTERMS.description,
            Literal(
                "People and companies of China's AI industry, built from news articles and "
                "public records: every fact with the quote it was read from.",
                lang="en",
            ),
        )
    )
    g.add((dataset, VOID.uriSpace, Literal(BASE)))
    g.add((dataset, VOID.sparqlEndpoint, endpoint))
    g.add((dataset, FOAF.homepage, URIRef(app.public + "/")))
    for vocabulary in VOCABULARIES:
        g.add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    for name in ("Turtle", "N-Triples", "JSON-LD"):
        g.add((dataset, VOID.feature, URIRef(f"http://www.w3.org/ns/formats/{name}")))
    # DCAT 2: the dataset is served by two data services; a distribution points at the endpoint.
    for service, title, standard in (
        (endpoint, "SPARQL 1.1 endpoint", "https://www.w3.org/TR/sparql11-protocol/"),
        (reconcile, "Reconciliation service (OpenRefine)", RECONCILIATION_SPEC),
    ):
        g.add((service, RDF.type, DCAT.DataService))
        g.add((service, DCTERMS.title, Literal(title, lang="en")))
        g.add((service, DCAT.endpointURL, service))
        g.add((service, DCAT.servesDataset, dataset))
        g.add((service, DCTERMS.conformsTo, URIRef(standard)))
    g.add((endpoint, RDF.type, sd.Service))
    g.add((endpoint, sd.endpoint, endpoint))
    distribution = URIRef(DATASET + "#sparql")
    g.add((dataset, DCAT.distribution, distribution))
    g.add((distribution, RDF.type, DCAT.Distribution))
    g.add((distribution, DCAT.accessURL, endpoint))
    g.add((distribution, DCAT.accessService, endpoint))

    manifest = _manifest(getattr(app, "manifest", None))
    counts = manifest.get("counts") or {}
    if isinstance(counts.get("triples"), int):
        g.add((dataset, VOID.triples, Literal(counts["triples"])))
    entities = (manifest.get("records") or {}).get("entities")
    if isinstance(entities, int):
        g.add((dataset, VOID.entities, Literal(entities)))
    by_type = counts.get("by_type") or {}
    if isinstance(by_type, dict):
        g.add((dataset, VOID.classes, Literal(len(by_type))))
        for curie, number in sorted(by_type.items()):
            prefix, _, local = str(curie).partition(":")
            if prefix not in PREFIXES or not isinstance(number, int):
                continue
            part = URIRef(f"{DATASET}#class-{prefix}-{local}")
            g.add((dataset, VOID.classPartition, part))
            g.add((part, VOID["class"], URIRef(PREFIXES[prefix] + local)))
            g.add((part, VOID.entities, Literal(number)))
    path = getattr(app, "manifest", None)
    stamp = _STAMP.fullmatch(path.parent.name) if path is not None else None
    if stamp:
        y, mo, d, h, mi, s = stamp.groups()
        when = f"{y}-{mo}-{d}T{h}:{mi}:{s}Z"
        g.add((dataset, DCTERMS.modified, Literal(when, datatype=XSD.dateTime)))

    for row in select(app, SOURCES_QUERY):
        source = URIRef(str(row["s"]))
        g.add((dataset, DCTERMS.source, source))
        g.add((source, RDF.type, DCAT.Resource))
        headline = row.get("title")
        if headline is not None:  # the store gives language tags lower-cased
            language = canonical_tag(headline.language) if headline.language else None
            g.add((source, DCTERMS.title, Literal(str(headline), lang=language)))
        url = str(row.get("url", ""))
        if url.startswith(("http://", "https://")) and not _NOT_IRI.search(url):
            g.add((source, DCAT.landingPage, URIRef(url)))
        if "license" in row and not _NOT_IRI.search(str(row["license"])):
            g.add((source, DCTERMS.license, URIRef(str(row["license"]))))
        if "usage" in row:
            g.add((source, DCTERMS.rights, Literal(str(row["usage"]))))
    return g

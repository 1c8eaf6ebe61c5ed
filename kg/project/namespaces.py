"""The graph's namespaces: the base of every entity IRI and the prefixes of the terms used."""

from __future__ import annotations

from kg.errors import DataError

__all__ = ["BASE", "PREFIXES", "entity_iri", "expand"]

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


def expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    if prefix not in PREFIXES:
        raise DataError(f"unknown prefix in {curie!r} (known: {', '.join(PREFIXES)})")
    return PREFIXES[prefix] + local


def entity_iri(entity_id: str) -> str:
    """The IRI of an entity id such as ``person/lu-qi``."""
    return BASE + entity_id

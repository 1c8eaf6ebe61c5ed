"""The graph's files: N-Triples, Turtle and JSON-LD, written fast and byte-stable."""

from __future__ import annotations

import json
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from kg.project.namespaces import PREFIXES

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "jsonld",
    "ntriples_lines",
    "sorted_ntriples",
    "turtle",
    "write_jsonld",
    "write_ntriples",
    "write_turtle",
]

#: Where a writer puts its bytes (a file's ``write``), piece by piece.
Write = Callable[[bytes], Any]
_CHUNK = 20_000  # subjects (or lines) written at a time


# --- writing -------------------------------------------------------------------


# The three files are written by the functions below rather than by rdflib's serializers,
# which took a minute at a million triples (Turtle 38 s, JSON-LD 22 s). N-Triples is written
# term by term as rdflib writes it (the same bytes), once, sorted; the build validates those
# bytes and makes the other two files from the same sorted lines: Turtle (its own layout,
# which parses back to the identical graph) and JSON-LD (rdflib's compact form with the
# inline context: the same document, the same bytes). Language tags come from rdflib's
# terms, so they keep their canonical case (zh-Hans, zh-Hant, en); Oxigraph, which
# lowercases them, writes none of these files.
#
# The build (kg.graph.build) never makes an rdflib graph: it has the sorted lines
# (``<s> <p> <o> .``, no line break) and streams each file from them with write_ntriples,
# write_turtle and write_jsonld; turtle() and jsonld() are the same writers for a graph.


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


def write_ntriples(lines: Iterable[str], write: Write) -> None:
    """Write sorted N-Triples *lines* (each without its line break) as kg.nt."""
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= _CHUNK:
            write(("\n".join(chunk) + "\n").encode("utf-8"))
            chunk = []
    if chunk:
        write(("\n".join(chunk) + "\n").encode("utf-8"))


def _lines_of(text: str) -> list[str]:
    """The lines of an N-Triples text, split at line breaks only: a literal may hold U+2028
    and the like, which str.splitlines() would split at too (N-Triples escapes only \\n
    and \\r)."""
    return text.split("\n")[:-1]


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
    out: list[bytes] = []
    write_turtle(_lines_of(_sorted_text(graph, ntriples)), out.append)
    return b"".join(out)


#: What :func:`write_turtle` counts for the manifest: the objects of these predicates.
TALLIED = ("<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
           "<http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate>")  # fmt: skip


def write_turtle(
    lines: Iterable[str], write: Write, tally: Counter[tuple[str, str]] | None = None
) -> int:
    """Write :func:`turtle` of the sorted N-Triples *lines* (each without its line break),
    a subject at a time; return the number of lines. *tally*, when given, counts each
    (predicate, object) of the predicates in :data:`TALLIED` (for the manifest's counts)."""
    names: dict[str, str] = {}
    out = [f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in sorted(PREFIXES.items())]
    subject = None
    groups: list[tuple[str, list[str]]] = []
    seen = 0
    tallied = set(TALLIED) if tally is not None else set()

    def flush() -> None:
        if subject is None:
            return
        groups.sort(key=lambda g: g[0] != _TYPE)  # stable: ``a`` first, the rest in order
        body = " ;\n    ".join(
            ("a" if p == _TYPE else _turtle_term(p, names)) + " " + ",\n        ".join(objs)
            for p, objs in groups
        )
        out.append(f"\n{_turtle_term(subject, names)} {body} .\n")

    for line in lines:
        seen += 1
        s, p, o = line.split(" ", 2)  # IRIs and blank node labels hold no spaces
        o = o[:-2]
        if p in tallied:
            tally[(p, o)] += 1  # type: ignore[index]
        if s != subject:
            flush()
            subject, groups = s, []
            if len(out) >= _CHUNK:
                write("".join(out).encode("utf-8"))
                out = []
        if groups and groups[-1][0] == p:
            groups[-1][1].append(_turtle_object(o, names))
        else:
            groups.append((p, [_turtle_object(o, names)]))
    flush()
    write("".join(out).encode("utf-8"))
    return seen


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
    out: list[bytes] = []
    write_jsonld(_lines_of(_sorted_text(graph, ntriples)), out.append)
    return b"".join(out)


def write_jsonld(lines: Iterable[str], write: Write) -> None:
    """Write :func:`jsonld` of the sorted N-Triples *lines* (each without its line break).

    Each node object is written out as text as soon as its subject's lines end (they are
    consecutive in sorted N-Triples), so what is held is about the size of the output;
    the node objects are then written in the order of their ids."""
    from json.encoder import encode_basestring as enc  # what ensure_ascii=False uses

    name = _jsonld_namer()
    keys: dict[str, tuple[str, str]] = {_TYPE: ("@type", '"@type"')}  # predicate -> key
    encoded = {"@type": '"@type"'}  # key -> as JSON
    types: dict[str, _Json] = {}  # an rdf:type's IRI -> its value
    values_of: dict[str, _Json] = {}  # each distinct object worked out once
    nodes: list[tuple[str, bytes]] = []  # (encoded id, the node object written out)
    subject = None
    sid = ""
    node: dict[str, list[_Json]] = {}
    for line in lines:
        s, p, o = line.split(" ", 2)  # IRIs and blank node labels hold no spaces
        o = o[:-2]
        if s != subject:
            if subject is not None:
                nodes.append((sid, _jsonld_node(sid, node, encoded)))
            subject, node = s, {}
            sid = enc(s if s.startswith("_:") else name(s[1:-1]))
        known = keys.get(p)
        if known is None:
            symbol = name(p[1:-1])
            known = keys[p] = (symbol, enc(symbol))
            encoded[symbol] = known[1]
        if p == _TYPE and o.startswith("<"):
            value = types.get(o)
            if value is None:
                value = types[o] = _json_value(enc(name(o[1:-1])))
        else:
            value = values_of.get(o)
            if value is None:
                value = _jsonld_value(o, name, enc)
                if len(o) < 200:  # IRIs, dates, numbers: used again; long texts: not kept
                    values_of[o] = value
        values = node.get(known[0])
        if values is None:
            node[known[0]] = [value]
        else:
            values.append(value)
    if subject is not None:
        nodes.append((sid, _jsonld_node(sid, node, encoded)))
    del values_of, types
    nodes.sort(key=operator.itemgetter(0))
    context = ",\n".join(f"  {enc(k)}: {enc(v)}" for k, v in sorted(PREFIXES.items()))
    out = ["{\n", ' "@context": {\n', context, "\n },\n", ' "@graph": [']
    write("".join(out).encode("utf-8"))
    chunk: list[bytes] = []
    for n, (_, text) in enumerate(nodes):
        chunk.append(text if n == len(nodes) - 1 else text + b",")
        if len(chunk) >= _CHUNK:
            write(b"".join(chunk))
            chunk = []
    write(b"".join(chunk) + (b"\n " if nodes else b"") + b"]\n}\n")


def _jsonld_node(sid: str, node: dict[str, list[_Json]], encoded: dict[str, str]) -> bytes:
    """One node object as ``json.dumps(..., indent=1, sort_keys=True)`` writes it in the
    ``@graph`` list (without the comma that follows it)."""
    from bisect import bisect_left

    first = operator.itemgetter(0)
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
    return ("\n  {\n   " + ",\n   ".join(members) + "\n  }").encode("utf-8")

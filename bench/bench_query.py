"""Benchmark the named queries and loading on synthetic graphs, side by side in one run.

At 100k, 300k, 1M and 3M triples by default (``make bench-query``): each named query's time
through kg at every size and its growth exponent between the last two sizes (the time's
log-ratio over the size's; 1 is linear), the queries above 1.15, whether every named query
answers within 10 s, and ``timeline`` and ``competitors`` as they were before their plans were
fixed (issue 24) beside their text today, on the same store (the same rows checked).

For each size it loads the same N-Triples file into pyoxigraph directly in memory
and in a folder (the ceilings), into kg's default store (``oxigraph``, through
oxrdflib) and kg's on-disk store (``oxigraph:PATH``, opened read-only) and, up
to 100k triples, into rdflib's own engine (the on-disk stores up to ``--disk-max`` and rdflib
up to ``--rdflib-max``, so that the largest sizes fit in a run). Then it times every named query on
each: kg's store beside pyoxigraph on the same kind of store, one warm-up run
each, then interleaved rounds (so that machine noise hits both alike) until each
has at least ``--repeat`` samples and ``--min-time`` seconds of them (a query whose warm-up
took over 1 s: 3 samples, over 5 s: 1); rdflib's
median of three runs after a warm-up. It prints medians and ratios, and
checks the targets. rdflib runs in a worker process with a time cap; a query
that hits the cap is reported as ">CAP".

Usage: python bench/bench_query.py [--sizes 100k,300k,1M,3M] [--repeat 5] [--min-time 0.3]
       [--max-rounds 200] [--cap 20] [--queries a,b] [--disk-max 300k] [--rdflib-max 150k]
       [--before-max 1M] [--data DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing as mp
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
# Named queries that join people, tenures and founders (the 100x target).
JOINS = {
    "alumni_founders",
    "alumni_startups",
    "co_founders",
    "founders",
    "talent_sources",
    "shortest_connection",
    "career",
    "roles",
    "departures",
}
#: Growth exponent above which a query is reported as superlinear (issue 24's target).
GROWTH_LIMIT = 1.15
#: Every named query answers within this, at every size measured (``kg serve``'s limit).
SECONDS_LIMIT = 10.0

# timeline and competitors before issue 24 fixed their plans (the same rows): timeline's figure
# branch had its one mandatory label after eight OPTIONALs and three BINDs (Oxigraph re-scanned
# every figure once per label), competitors read every competitorOf statement for a 2-row answer.
BEFORE = {
    "timeline": """SELECT ?when ?end ?kind ?what ?subjectLabel ?predicate ?objectLabel
        ?roleLabel ?measure ?qualifier ?value ?min ?max ?unit ?quote ?quotes ?fact WHERE {
  {
    SELECT ?when ?end ?kind ?what ?subjectLabel ?predicate ?objectLabel ?roleLabel ?measure
        ?qualifier ?value ?min ?max ?unit ?fact (MIN(?rank) AS ?best) (COUNT(DISTINCT ?span)
            AS ?quotes) WHERE {
      {
        VALUES $lang { "zh-Hans" }
        ?fact a rdf:Statement ; rdf:subject ?subject ; rdf:predicate ?predicate ; rdf:object
            ?object .
        { ?fact kg:date|kg:period ?when BIND ("date" AS ?what) }
        UNION { ?fact schema:startDate ?when BIND ("start" AS ?what) }
        UNION { ?fact schema:endDate ?when BIND ("end" AS ?what) }
        ?subject rdfs:label ?subjectLabel . FILTER (langMatches(lang(?subjectLabel), $lang))
        OPTIONAL { ?object rdfs:label ?label . FILTER (langMatches(lang(?label), $lang)) }
        BIND (IF(isLiteral(?object), ?object, ?label) AS ?objectLabel)
        BIND ("fact" AS ?kind)
      } UNION {
        VALUES $lang { "zh-Hans" }
        ?fact a org:Membership ; org:member ?subject ; org:organization ?object .
        { ?fact schema:startDate ?when BIND ("start" AS ?what) }
        UNION { ?fact schema:endDate ?when BIND ("end" AS ?what) }
        ?subject rdfs:label ?subjectLabel . FILTER (langMatches(lang(?subjectLabel), $lang))
        ?object rdfs:label ?objectLabel . FILTER (langMatches(lang(?objectLabel), $lang))
        OPTIONAL { ?fact org:role ?role . ?role rdfs:label ?roleLabel . FILTER
            (langMatches(lang(?roleLabel), $lang)) }
        BIND (org:organization AS ?predicate) BIND ("tenure" AS ?kind)
      } UNION {
        VALUES $lang { "zh-Hans" }
        ?fact a kg:Figure ; schema:about ?subject ; kg:measure ?measure ; schema:unitText ?unit ;
              kg:isForecast ?forecast .
        OPTIONAL { ?fact kg:date ?date }
        OPTIONAL { ?fact kg:period ?period }
        OPTIONAL { ?fact schema:startDate ?from }
        OPTIONAL { ?fact schema:endDate ?to }
        BIND (COALESCE(?date, ?period, ?from) AS ?when)
        FILTER (BOUND(?when))
        BIND (IF(BOUND(?date) || BOUND(?period), ?none, ?to) AS ?end)
        BIND (IF(BOUND(?date) || BOUND(?period), "date", "start") AS ?what)
        ?subject rdfs:label ?subjectLabel . FILTER (langMatches(lang(?subjectLabel), $lang))
        OPTIONAL { ?fact kg:qualifier ?qualifier }
        OPTIONAL { ?fact schema:value ?value }
        OPTIONAL { ?fact schema:minValue ?min }
        OPTIONAL { ?fact schema:maxValue ?max }
        BIND (kg:measure AS ?predicate) BIND (IF(?forecast, "forecast", "figure") AS ?kind)
      } UNION {
        VALUES $lang { "zh-Hans" }
        ?fact a schema:Event ; kg:date|kg:period ?when .
        OPTIONAL { ?fact rdfs:label ?label . FILTER (langMatches(lang(?label), $lang)) }
        OPTIONAL { ?fact rdfs:label ?hans . FILTER (langMatches(lang(?hans), "zh-Hans")) }
        BIND (COALESCE(?label, ?hans) AS ?subjectLabel)
        BIND ("date" AS ?what) BIND ("event" AS ?kind)
      }
      ?fact prov:wasDerivedFrom ?span . ?span oa:hasSelector ?position , ?selector .
      ?position oa:start ?offset . ?selector oa:exact ?text .
      BIND (IF(CONTAINS(?text, SUBSTR(STR(?when), 1, 4)), 0, 1000000000) + ?offset AS ?rank)
    }
    GROUP BY ?when ?end ?kind ?what ?subjectLabel ?predicate ?objectLabel ?roleLabel ?measure
        ?qualifier ?value ?min ?max ?unit ?fact
  }
  ?fact prov:wasDerivedFrom ?firstSpan . ?firstSpan oa:hasSelector ?firstPosition ,
      ?firstSelector .
  ?firstPosition oa:start ?firstOffset . ?firstSelector oa:exact ?quote .
  FILTER (?best = ?firstOffset || ?best = ?firstOffset + 1000000000)
}
ORDER BY ?when ?kind ?subjectLabel ?predicate ?objectLabel ?what ?fact
""",
    "competitors": """SELECT DISTINCT ?competitor ?competitorLabel ?quote WHERE {
  VALUES ($entity $lang) { (<https://w3id.org/china-ai-kg/org/kunlunxin> "zh-Hans") }
  { $entity kg:competitorOf ?competitor } UNION { ?competitor kg:competitorOf $entity }
  ?st rdf:predicate kg:competitorOf ; rdf:subject ?a ; rdf:object ?b ;
      prov:wasDerivedFrom/oa:hasSelector/oa:exact ?quote .
  FILTER ((?a = $entity && ?b = ?competitor) || (?b = $entity && ?a = ?competitor))
  ?competitor rdfs:label ?competitorLabel . FILTER (langMatches(lang(?competitorLabel), $lang))
}
ORDER BY ?competitor ?quote
""",
}


def size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def _rdflib_worker(path: str, conn) -> None:  # runs in a child process
    from rdflib import Graph

    graph = Graph().parse(path, format="nt")
    conn.send("ready")
    while True:
        text = conn.recv()
        if text is None:
            return
        start = time.perf_counter()
        result = graph.query(text)
        rows = list(result)
        conn.send((time.perf_counter() - start, len(rows)))


class RdflibEngine:
    """rdflib's own store and SPARQL engine in a worker process, restarted after a time-out."""

    def __init__(self, path: Path, cap: float):
        self.path, self.cap = str(path), cap
        self.load_seconds = 0.0
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        started = time.perf_counter()
        self.proc = ctx.Process(target=_rdflib_worker, args=(self.path, child), daemon=True)
        self.proc.start()
        self.conn.recv()
        self.load_seconds = time.perf_counter() - started

    def query(self, text: str) -> float | None:
        self.conn.send(text)
        if self.conn.poll(self.cap):
            seconds, _ = self.conn.recv()
            return seconds
        self.proc.kill()
        self.proc.join()
        self._start()
        return None

    def median_ms(self, text: str, timed: int = 3) -> float | None:
        """Median of up to *timed* runs, after a warm-up run when that one is quick.

        A run over 1 s keeps its first run as a sample (a warm-up is lost in it) and one
        over 5 s ends the series; None when a run hits the cap.
        """
        first = self.query(text)
        if first is None:
            return None
        samples = [] if first < 1 else [first]
        while len(samples) < timed and (not samples or samples[-1] <= 5):
            seconds = self.query(text)
            if seconds is None:
                return None
            samples.append(seconds)
        return median_ms(samples)

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join(5)


class Timing(NamedTuple):
    """One query's medians in ms: rdflib and disk None where not run, rdflib inf past the cap."""

    pyox: float
    kg: float
    rdflib: float | None
    pyox_disk: float | None
    kg_disk: float | None


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_side_by_side(
    engines: dict[str, Callable[[], int]], repeat: int, min_seconds: float, max_rounds: int
) -> tuple[dict[str, list[float]], int]:
    """Time each engine on the same query in interleaved rounds, after one warm-up each.

    Rounds go on until every engine has *repeat* samples and *min_seconds* of them (so
    sub-millisecond queries get enough samples for a stable median), or *max_rounds*.
    Returns the samples and the row count (which every engine must agree on).
    """
    counts = {}
    warm = time.perf_counter()
    for name, run in engines.items():  # warm-up, not timed
        counts[name] = run()
    warm = (time.perf_counter() - warm) / len(engines)
    if len(set(counts.values())) != 1:
        raise AssertionError(f"engines disagree on the row count: {counts}")
    if warm > 5:  # a slow query: one sample each is the median of what a run can afford
        repeat, min_seconds = 1, 0.0
    elif warm > 1:
        repeat, min_seconds = min(repeat, 3), 0.0
    samples: dict[str, list[float]] = {name: [] for name in engines}
    order = list(engines.items())
    for rounds in range(1, max_rounds + 1):
        for name, run in order if rounds % 2 else order[::-1]:  # alternate who goes first
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
        if rounds >= repeat and all(sum(s) >= min_seconds for s in samples.values()):
            break
    return samples, next(iter(counts.values()))


def bench_size(triples: int, args: argparse.Namespace, out: list[str]) -> dict:
    import pyoxigraph as ox

    from kg.graph.synth import write_synthetic
    from kg.query.named import bind, named_queries
    from kg.query.results import rows, run
    from kg.query.store import KGStore, open_store

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    path = write_synthetic(args.data / f"synth-{triples}.nt", triples, seed=7)
    lines = sum(1 for _ in path.open("rb"))
    say(f"\n## {lines:,} triples ({path.name})")

    # Loading, side by side and one store at a time, so that neither pays for the
    # other's memory: pyoxigraph's bulk load vs kg's default store (in memory), and
    # pyoxigraph's bulk load into a folder vs kg's on-disk store (oxigraph:PATH).
    disk = args.data / "stores"
    disk.mkdir(parents=True, exist_ok=True)
    loads: dict[str, list[float]] = {"mem-ox": [], "mem-kg": [], "disk-ox": [], "disk-kg": []}

    def load_memory_direct() -> object:
        store = ox.Store()
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
        return store

    def load_disk_direct() -> object:
        folder = disk / "direct"
        shutil.rmtree(folder, ignore_errors=True)
        store = ox.Store(str(folder))
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        return store

    def load_disk_ours() -> object:
        shutil.rmtree(disk / "ours", ignore_errors=True)
        return open_store(f"oxigraph:{disk / 'ours'}", path)

    # Each step returns its loaded store, freed after the clock stops for all alike.
    on_disk = triples <= args.disk_max
    steps: dict[str, Callable[[], object]] = {
        "mem-ox": load_memory_direct,
        "mem-kg": lambda: open_store("oxigraph", path),
    }
    if on_disk:
        steps |= {"disk-ox": load_disk_direct, "disk-kg": load_disk_ours}
    else:
        del loads["disk-ox"], loads["disk-kg"]
    for _ in range(3 if triples < 1_000_000 else 1):
        for name, step in steps.items():
            gc.collect()
            start = time.perf_counter()
            loaded = step()
            loads[name].append(time.perf_counter() - start)
            del loaded
            gc.collect()
    load = {name: statistics.median(s) for name, s in loads.items()}
    load_ratio = load["mem-kg"] / load["mem-ox"]
    disk_ratio = load["disk-kg"] / load["disk-ox"] if on_disk else None
    say(
        f"load in memory: pyoxigraph {load['mem-ox']:.2f} s, kg oxigraph {load['mem-kg']:.2f} s, "
        f"ratio {load_ratio:.2f}"
    )
    if on_disk:
        say(
            f"load on disk:   pyoxigraph {load['disk-ox']:.2f} s, kg oxigraph:PATH "
            f"{load['disk-kg']:.2f} s, ratio {load['disk-kg'] / load['disk-ox']:.2f}"
        )
    else:
        say(f"load on disk:   not measured above {args.disk_max:,} triples (--disk-max)")

    direct = ox.Store()
    direct.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    ours = open_store("oxigraph", path)
    direct_disk = ox.Store.read_only(str(disk / "direct")) if on_disk else None
    ours_disk = open_store(f"oxigraph:{disk / 'ours'}", path) if on_disk else None

    rdf = None
    if triples <= args.rdflib_max:
        rdf = RdflibEngine(path, args.cap)
        say(
            f"load: rdflib {rdf.load_seconds:.2f} s (ratio to pyoxigraph "
            f"{rdf.load_seconds / load['mem-ox']:.1f})"
        )

    def query_direct(store: ox.Store, text: str) -> int:
        return len([tuple(solution) for solution in store.query(text)])

    def query_ours(store: KGStore, name: str) -> int:
        return len(rows(run(store, name)))

    say("")
    say(
        f"{'query':20} {'rows':>6} {'pyox':>9} {'kg':>9} {'kg/pyox':>7} {'pyox disk':>9} "
        f"{'kg disk':>9} {'kg/pyox':>7} {'rdflib':>11} {'rdflib/kg':>9}"
    )
    results = {}
    chosen = named_queries()
    if args.queries:
        chosen = {name: q for name, q in chosen.items() if name in args.queries}
    for name, named in chosen.items():
        text = bind(named.text, {}, named)
        # Each pair is timed side by side on its own, so that the on-disk stores' reads
        # do not evict the in-memory stores' data from the CPU caches between runs.
        ms: dict[str, float] = {}
        counts = set()
        pairs: list[dict[str, Callable[[], int]]] = [
            {"pyox": partial(query_direct, direct, text), "kg": partial(query_ours, ours, name)}
        ]
        if direct_disk is not None and ours_disk is not None:
            pairs.append(
                {
                    "pyox disk": partial(query_direct, direct_disk, text),
                    "kg disk": partial(query_ours, ours_disk, name),
                }
            )
        for pair in pairs:
            samples, count = time_side_by_side(pair, args.repeat, args.min_time, args.max_rounds)
            ms.update({engine: median_ms(s) for engine, s in samples.items()})
            counts.add(count)
        assert len(counts) == 1, (name, counts)
        r_text, r_ratio, r_ms = "-", "-", None
        if rdf is not None:
            r_ms = rdf.median_ms(text)
            if r_ms is None:
                r_text, r_ratio = f">{args.cap:.0f}s", f">{args.cap * 1000 / ms['kg']:,.0f}"
                r_ms = float("inf")
            else:
                r_text, r_ratio = f"{r_ms:,.1f}ms", f"{r_ms / ms['kg']:,.0f}"
        results[name] = Timing(ms["pyox"], ms["kg"], r_ms, ms.get("pyox disk"), ms.get("kg disk"))
        if "kg disk" in ms:
            disk_text = (
                f"{ms['pyox disk']:>7.2f}ms {ms['kg disk']:>7.2f}ms "
                f"{ms['kg disk'] / ms['pyox disk']:>7.2f}"
            )
        else:
            disk_text = f"{'-':>9} {'-':>9} {'-':>7}"
        say(
            f"{name:20} {count:>6} {ms['pyox']:>7.2f}ms {ms['kg']:>7.2f}ms "
            f"{ms['kg'] / ms['pyox']:>7.2f} {disk_text} {r_text:>11} {r_ratio:>9}"
        )
    if rdf is not None:
        rdf.close()
    if ours_disk is not None:
        ours_disk.close()
    del direct_disk
    before = compare_before(ours, triples, args, say)
    return {
        "lines": lines,
        "load_ratio": load_ratio,
        "disk_ratio": disk_ratio,
        "queries": results,
        "before": before,
    }


def compare_before(store, triples: int, args: argparse.Namespace, say) -> dict[str, tuple]:
    """timeline and competitors before issue 24 beside today's, side by side on one store.

    Both texts must give the same rows (checked); returns name -> (before ms, now ms).
    """
    from kg.query.named import named_queries
    from kg.query.results import rows, run

    found: dict[str, tuple] = {}
    chosen = [n for n in BEFORE if not args.queries or n in args.queries]
    if not chosen:
        return found
    say("")
    say(f"{'before issue 24':20} {'rows':>6} {'before':>11} {'now':>11} {'before/now':>10}")
    for name in chosen:
        if name == "timeline" and triples > args.before_max:
            say(f"{name:20} not run above {args.before_max:,} triples (--before-max)")
            continue
        now_text = named_queries()[name].text
        old_text = now_text[: now_text.index("SELECT")] + BEFORE[name]
        old_rows, new_rows = rows(run(store, old_text)), rows(run(store, name))
        if old_rows != new_rows:
            raise AssertionError(f"{name}: the text before issue 24 gives other rows")
        samples, count = time_side_by_side(
            {
                "before": lambda t=old_text: len(rows(run(store, t))),
                "now": lambda n=name: len(rows(run(store, n))),
            },
            args.repeat,
            args.min_time,
            args.max_rounds,
        )
        old_ms, new_ms = median_ms(samples["before"]), median_ms(samples["now"])
        found[name] = (old_ms, new_ms)
        say(f"{name:20} {count:>6} {old_ms:>9,.1f}ms {new_ms:>9,.1f}ms {old_ms / new_ms:>10.1f}")
    return found


def check(found: dict[int, dict], out: list[str]) -> None:
    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    def layer_gaps(pairs: dict[str, tuple[float, float]]) -> str:
        gaps = [
            f"{name} ({ours:.2f} vs {direct:.2f} ms)"
            for name, (direct, ours) in pairs.items()
            if (direct > 5 and ours > 1.5 * direct) or (direct <= 5 and ours > direct + 1)
        ]
        return "all queries" if not gaps else "NOT: " + ", ".join(gaps)

    say("\n## targets")
    for triples, res in sorted(found.items()):
        queries = res["queries"]
        mem = {n: (q.pyox, q.kg) for n, q in queries.items()}
        disk = {
            n: (q.pyox_disk, q.kg_disk)
            for n, q in queries.items()
            if q.pyox_disk is not None and q.kg_disk is not None
        }
        say(f"{triples:>9,} triples: kg within 1.5x of pyoxigraph (or +1 ms under 5 ms):")
        say(f"{'':>20}in memory: {layer_gaps(mem)}")
        if disk:
            say(f"{'':>20}on disk:   {layer_gaps(disk)}")
        timed = {n: q.rdflib for n, q in queries.items() if q.rdflib is not None}
        if timed:
            slower = [n for n, r in timed.items() if r < queries[n].kg]
            joins = {n: r / queries[n].kg for n, r in timed.items() if n in JOINS}
            # For a miss, also what pyoxigraph itself reaches (rdflib / pyoxigraph): the most
            # any layer over Oxigraph could show, which tells a slow layer from a fast rdflib.
            weak = [
                f"{n} ({x:.0f}x; pyoxigraph itself {timed[n] / queries[n].pyox:.0f}x)"
                for n, x in joins.items()
                if x < 100
            ]
            say(
                f"{'':>20}no named query slower than rdflib: "
                + ("yes" if not slower else "NO: " + ", ".join(slower))
            )
            if joins:
                say(
                    f"{'':>20}joins >=100x faster than rdflib: "
                    + ("yes, min " + f"{min(joins.values()):,.0f}x" if not weak else "NO: ")
                    + ", ".join(weak)
                )
        on_disk = "" if res["disk_ratio"] is None else f", {res['disk_ratio']:.2f} on disk"
        say(
            f"{'':>20}load ratio to pyoxigraph {res['load_ratio']:.2f} in memory"
            f"{on_disk} (target <= 1.2 at 1M)"
        )
    growth(found, say)


def exponent(small: tuple[int, float], large: tuple[int, float]) -> float:
    """How a time grows with the graph: log(t2 / t1) / log(n2 / n1) (1 is linear).

    >>> round(exponent((1_000_000, 2.0), (3_000_000, 6.0)), 2)
    1.0
    >>> round(exponent((1_000_000, 1.0), (3_000_000, 9.0)), 2)
    2.0
    """
    (n1, t1), (n2, t2) = small, large
    return math.log(t2 / t1) / math.log(n2 / n1)


def growth(found: dict[int, dict], say) -> None:
    """Each query's time (kg, in memory) at every size, its growth exponent between the last
    two sizes, the queries above GROWTH_LIMIT, and whether each answers within SECONDS_LIMIT."""
    sizes = sorted(found)
    names = sorted(set.intersection(*(set(found[s]["queries"]) for s in sizes)))
    say("\n## growth (kg, in memory)")
    head = "".join(f"{found[s]['lines']:>13,}" for s in sizes)
    last = f"exponent {sizes[-2]:,}->{sizes[-1]:,}" if len(sizes) > 1 else ""
    say(f"{'query':20}{head}   {last}")
    over: list[str] = []
    slow: list[str] = []
    for name in names:
        ms = [found[s]["queries"][name].kg for s in sizes]
        cells = "".join(f"{m:>11,.1f}ms" for m in ms)
        text = ""
        if len(sizes) > 1:
            a, b = sizes[-2], sizes[-1]
            # Below a millisecond a time is noise and overhead, not the query's plan.
            if ms[-2] >= 1:
                e = exponent((found[a]["lines"], ms[-2]), (found[b]["lines"], ms[-1]))
                text = f"{e:>8.2f}"
                if e > GROWTH_LIMIT:
                    over.append(f"{name} ({e:.2f})")
                    text += " > " + str(GROWTH_LIMIT)
            else:
                text = f"{'-':>8} (under 1 ms)"
        if max(ms) > SECONDS_LIMIT * 1000:
            slow.append(f"{name} ({max(ms) / 1000:.1f} s)")
        say(f"{name:20}{cells}   {text}")
    befores = [(s, found[s]["before"]) for s in sizes if found[s].get("before")]
    for s, before in befores:
        for name, (old, new) in before.items():
            say(
                f"{'':20}before issue 24 at {found[s]['lines']:,}: {name} {old:,.1f} ms -> "
                f"{new:,.1f} ms ({old / new:.1f}x)"
            )
    if len(sizes) > 1:
        say(
            f"growth exponent <= {GROWTH_LIMIT} for every named query: "
            + ("met" if not over else "MISSED: " + ", ".join(over))
        )
    say(
        f"every named query <= {SECONDS_LIMIT:.0f} s at every size measured (up to "
        f"{found[sizes[-1]]['lines']:,} triples): "
        + ("met" if not slow else "MISSED: " + ", ".join(slow))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,300k,1M,3M")
    parser.add_argument("--repeat", type=int, default=5, help="fewest timed runs a query")
    parser.add_argument(
        "--min-time", type=float, default=0.3, help="fewest seconds of timed runs a query"
    )
    parser.add_argument("--max-rounds", type=int, default=200, help="most timed runs a query")
    parser.add_argument(
        "--cap", type=float, default=20.0, help="seconds before an rdflib query is stopped"
    )
    parser.add_argument(
        "--disk-max", type=size, default=size("300k"), help="largest size for the on-disk stores"
    )
    parser.add_argument(
        "--rdflib-max", type=size, default=size("150k"), help="largest size for rdflib's engine"
    )
    parser.add_argument(
        "--before-max",
        type=size,
        default=size("1M"),
        help="largest size for timeline as it was before issue 24 (149 s at 3M)",
    )
    parser.add_argument(
        "--queries", type=lambda text: text.split(","), help="only these named queries (a,b,…)"
    )
    parser.add_argument(
        "--data", type=Path, default=HERE / "data", help="where the synthetic graphs and stores go"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "query.txt")
    args = parser.parse_args()

    if args.queries:
        from kg.query.named import named_queries

        unknown = sorted(set(args.queries) - set(named_queries()))
        if unknown:
            parser.error(f"unknown named queries: {', '.join(unknown)}")
    out: list[str] = ["# kg query benchmark", ""]
    versions = ", ".join(f"{d} {metadata.version(d)}" for d in ("pyoxigraph", "oxrdflib", "rdflib"))
    out.append(
        f"machine: {platform.machine()}, {mp.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; {versions}"
    )
    out.append(
        f"medians of at least {args.repeat} interleaved runs and {args.min_time} s a query "
        f"per engine, after a warm-up run; rdflib: median of 3 after a warm-up "
        f"(one run over 5 s), capped at {args.cap:.0f} s a query"
    )
    print("\n".join(out), flush=True)
    found = {}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for text in args.sizes.split(","):
        triples = size(text)
        found[triples] = bench_size(triples, args, out)
        # What is measured so far, in case a long run is stopped before the targets.
        partial = [*out, "", f"(partial: measured up to {triples:,} triples; the run goes on)"]
        args.out.write_text("\n".join(partial) + "\n", encoding="utf-8")
    check(found, out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    sys.exit(main())

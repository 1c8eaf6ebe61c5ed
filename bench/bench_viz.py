"""Benchmark: how fast large graphs become interactive, pyvis defaults vs. kg.viz.

For synthetic graphs of 1k, 5k and 20k nodes (people, organisations and products with
Chinese names, about 1.5 edges a node, hubs by preferential attachment; deterministic
from a seed) this measures, side by side in one run:

- **pyvis default**: pyvis 0.3.2 ``Network(directed=True, cdn_resources="in_line")`` with
  its default options (barnesHut physics, 1,000 stabilization iterations), its node and
  edge lists filled directly (its ``add_edge`` checks list membership: quadratic), written
  with ``generate_html``. *Interactive* is vis-network's ``stabilizationIterationsDone``
  (pyvis hides the page behind a loading bar until then); *settled* is ``stabilized``
  (the nodes stop moving). Runs are capped (``--cap``) and reported as ``>cap``.
- **kg.viz**: :func:`kg.viz.page.write_viz_html`: layout precomputed in Python with rustworkx's
  Fruchterman–Reingold (seeded; two levels above 500 nodes), physics off, vis-network
  inlined. *Interactive* is the page's first drawing (``window.kgReady``); it never moves
  afterwards.

Times in the browser are from navigation start (``performance.now()``) in headless
Chromium with the network blocked. Also reported: the Python build time, file size, and
the time pyvis's own ``add_node``/``add_edge`` take to build the network (capped).

Run ``python bench/bench_viz.py`` (``make bench-viz``); results go to
``bench/results/viz.txt`` and ``bench/results/viz.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from kg.viz.model import VizEdge, VizGraph, VizNode
from kg.viz.page import render_html, write_viz_html

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = (1_000, 5_000, 20_000)

# --- synthetic graphs ---------------------------------------------------------------------

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建红"
    "志云飞鹏宇凯旭晨阳浩然博文天城光劲畅奇"
)
_ORG_HEAD = "星辰云智深远天元启明华数灵犀极光睿思九章昆仑青云长风海纳墨子鸿蒙北斗"
_ORG_TAIL = ("科技", "智能", "机器人", "芯片", "数据", "自动驾驶", "云计算", "半导体")
_PRODUCTS = ("大模型", "芯片", "平台", "操作系统", "机器人", "传感器")
_RELATIONS = {
    "alumniOf": "曾任职于",
    "worksFor": "任职于",
    "founder": "创立",
    "manufacturer": "研发方",
    "competitorOf": "竞争对手",
}


def synthetic(n: int, seed: int = 0) -> VizGraph:
    """A graph of *n* nodes shaped like the article's: deterministic from *seed*.

    60 % people, 30 % organisations, 10 % products; each person worked at one or two
    organisations and may work for or have founded one; each product has a maker; some
    organisations compete. Organisations are picked by preferential attachment, so a few
    become hubs, as Baidu is in the article.
    """
    rng = random.Random(seed)
    n_people, n_orgs = int(n * 0.6), int(n * 0.3)
    n_products = n - n_people - n_orgs
    nodes: list[VizNode] = []
    orgs = [f"org/{i:05d}" for i in range(n_orgs)]
    org_names = {}
    for oid in orgs:
        name = rng.choice(_ORG_HEAD) + rng.choice(_ORG_HEAD) + rng.choice(_ORG_TAIL)
        org_names[oid] = name
    weights = [1.0 / (i + 1) ** 0.9 for i in range(n_orgs)]  # Zipf-like popularity

    def pick() -> str:
        return rng.choices(orgs, weights)[0]

    edges: list[VizEdge] = []

    def edge(source: str, target: str, relation: str, sname: str, tname: str) -> None:
        label = _RELATIONS[relation]
        quote = f"{sname}{label}{tname}"
        tooltip = f"{sname} → {tname}\n{label}\n\n“{quote}” [1: 0–{len(quote)}]"
        edges.append(VizEdge(source, target, relation, label, tooltip))

    for i in range(n_people):
        pid = f"person/{i:05d}"
        name = rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2))))
        nodes.append(VizNode(pid, "Person", name, (name, f"p{i}"), f"{name}\n人物\n标识: {pid}"))
        for oid in {pick() for _ in range(rng.choice((1, 1, 2)))}:
            edge(pid, oid, "alumniOf", name, org_names[oid])
        if rng.random() < 0.25:
            oid = pick()
            edge(pid, oid, rng.choice(("worksFor", "founder")), name, org_names[oid])
    for oid in orgs:
        name = org_names[oid]
        nodes.append(VizNode(oid, "Organization", name, (name,), f"{name}\n机构\n标识: {oid}"))
        if rng.random() < 0.3:
            other = pick()
            if other != oid:
                edge(oid, other, "competitorOf", name, org_names[other])
    for i in range(n_products):
        xid = f"product/{i:05d}"
        oid = pick()
        name = org_names[oid][:2] + rng.choice(_PRODUCTS) + str(i)
        nodes.append(VizNode(xid, "Product", name, (name,), f"{name}\n产品\n标识: {xid}"))
        edge(xid, oid, "manufacturer", name, org_names[oid])
    return VizGraph(nodes, edges, "zh-Hans", f"合成图 {n}", "", dict(_RELATIONS))


# --- the two pages ---------------------------------------------------------------------


def _pyvis_dicts(vg: VizGraph) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Node and edge dicts as pyvis's add_node/add_edge would make them."""
    colours = {"Person": "#F0A030", "Organization": "#3A8FD9", "Product": "#2BAE84"}
    nodes = [
        {
            "id": n.id,
            "label": n.label,
            "title": n.tooltip,
            "shape": "dot",
            "color": colours.get(n.type, "#97c2fc"),
            "font": {"color": None},
        }
        for n in vg.nodes
    ]
    edges = [
        {"from": e.source, "to": e.target, "label": e.label, "title": e.tooltip, "arrows": "to"}
        for e in vg.edges
    ]
    return nodes, edges


def pyvis_default_html(vg: VizGraph) -> str:
    """What pyvis 0.3.2 makes with its default options (lists filled directly)."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line", height="1000px", width="100%")
    nodes, edges = _pyvis_dicts(vg)
    net.nodes, net.edges = nodes, edges
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    return str(net.generate_html())


_ADD_EDGE = """
import json, sys, time
from pyvis.network import Network
nodes, edges = json.load(open(sys.argv[1], encoding="utf-8"))
start = time.perf_counter()
net = Network(directed=sys.argv[2] == "directed")
for n in nodes:
    net.add_node(n["id"], label=n["label"], title=n["title"], color=n["color"])
for e in edges:
    net.add_edge(e["from"], e["to"], label=e["label"], title=e["title"])
print(time.perf_counter() - start)
"""


def pyvis_add_edge_seconds(vg: VizGraph, cap: float, directed: bool) -> float | None:
    """Seconds pyvis's add_node/add_edge take to build *vg*, or None past *cap*.

    add_edge checks that both nodes are in a list (O(nodes) an edge) and, for an
    undirected network (pyvis's default), scans every edge for a duplicate (O(edges)).
    """
    nodes, edges = _pyvis_dicts(vg)
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as fh:
        json.dump([nodes, edges], fh, ensure_ascii=False)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _ADD_EDGE, fh.name, "directed" if directed else "undirected"],
            capture_output=True,
            text=True,
            timeout=cap,
            check=True,
        )
        return float(done.stdout.strip())
    except subprocess.TimeoutExpired:
        return None
    finally:
        os.unlink(fh.name)


# Wraps vis.Network before pyvis's page creates it, to time its events.
_HOOK = """
(() => {
  const vis = {};
  let Net;
  window.__bench = {};
  Object.defineProperty(vis, "Network", {
    configurable: true, enumerable: true,
    get() { return Net; },
    set(Base) {
      Net = class extends Base {
        constructor(...args) {
          super(...args);
          this.once("afterDrawing", () => { window.__bench.firstDraw = performance.now(); });
          this.once("stabilizationIterationsDone",
                    () => { window.__bench.interactive = performance.now(); });
          this.once("stabilized", () => { window.__bench.settled = performance.now(); });
        }
      };
    },
  });
  window.vis = vis;
})();
"""


def _open(browser: Any, path: Path, hook: bool) -> Any:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
        ),
    )
    if hook:
        page.add_init_script(_HOOK)
    page.goto(path.resolve().as_uri(), wait_until="commit")
    return page


def _wait(page: Any, expression: str, cap: float) -> float | None:
    """performance.now() of *expression* once defined (ms), or None past *cap* seconds."""
    try:
        page.wait_for_function(f"() => {expression} !== undefined", timeout=cap * 1000)
    except Exception:  # playwright's TimeoutError
        return None
    return float(page.evaluate(f"() => {expression}"))


def time_default(browser: Any, path: Path, cap: float) -> dict[str, float | None]:
    page = _open(browser, path, hook=True)
    started = time.monotonic()
    interactive = _wait(page, "window.__bench.interactive", cap)
    left = cap - (time.monotonic() - started)
    settled = _wait(page, "window.__bench.settled", left) if interactive and left > 0 else None
    page.close()
    return {
        "interactive_s": interactive / 1000 if interactive else None,
        "settled_s": settled / 1000 if settled else None,
    }


def time_ours(browser: Any, path: Path, cap: float) -> dict[str, float | None]:
    page = _open(browser, path, hook=False)
    ready = _wait(page, "window.kgReady", cap)
    still = None
    if ready is not None:
        still = page.evaluate("() => kg.network.physics.physicsEnabled") is False
    page.close()
    return {"interactive_s": ready / 1000 if ready else None, "still": still}


# --- the run -------------------------------------------------------------------------------


def _fmt(seconds: float | None, cap: float) -> str:
    return f">{cap:.0f}s" if seconds is None else f"{seconds:.2f}s"


def _ratio(slow: float | None, fast: float | None, cap: float) -> str:
    if fast is None:
        return "n/a"
    if slow is None:
        return f">{cap / fast:.0f}x"
    return f"{slow / fast:.1f}x"


def _machine(browser_version: str) -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    info = {
        "platform": platform.platform(),
        "cpu": f"{cpu} ({os.cpu_count()} logical CPUs)",
        "memory": mem,
        "python": platform.python_version(),
        "chromium": browser_version,
    }
    for dist in ("pyvis", "rustworkx", "playwright", "kg"):
        try:
            info[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            info[dist] = "not installed"
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--cap", type=float, default=120.0, help="seconds per default-physics run")
    parser.add_argument("--add-edge-cap", type=float, default=90.0, help="seconds for add_edge")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "viz")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for n in args.sizes:
            vg = synthetic(n, args.seed)
            row: dict[str, Any] = {"nodes": len(vg.nodes), "edges": len(vg.edges)}

            t = time.perf_counter()
            default_html = pyvis_default_html(vg)
            row["default_build_s"] = time.perf_counter() - t
            default_path = Path(tmp) / f"default-{n}.html"
            default_path.write_text(default_html, encoding="utf-8")
            row["default_bytes"] = default_path.stat().st_size

            t = time.perf_counter()
            render_html(vg, seed=args.seed)  # timed without the write
            row["ours_build_s"] = time.perf_counter() - t
            ours_path = write_viz_html(vg, Path(tmp) / f"ours-{n}.html", seed=args.seed)
            row["ours_bytes"] = ours_path.stat().st_size

            print(f"{n} nodes: timing pyvis default physics (cap {args.cap:.0f}s) …", flush=True)
            default = time_default(browser, default_path, args.cap)
            print(f"{n} nodes: timing kg.viz …", flush=True)
            ours = time_ours(browser, ours_path, args.cap)
            row.update({f"default_{k}": v for k, v in default.items()})
            row.update({f"ours_{k}": v for k, v in ours.items()})
            print(f"{n} nodes: timing pyvis add_node/add_edge (cap {args.add_edge_cap:.0f}s) …")
            row["add_edge_build_s"] = pyvis_add_edge_seconds(vg, args.add_edge_cap, True)
            row["add_edge_undirected_build_s"] = pyvis_add_edge_seconds(
                vg, args.add_edge_cap, False
            )
            rows.append(row)
            print(json.dumps(row), flush=True)
        machine = _machine(browser.version)
        browser.close()

    cap = args.cap
    lines = [
        "kg.viz benchmark: time until a large graph is interactive in headless Chromium",
        "",
        *(f"{k:<10} {v}" for k, v in machine.items()),
        f"{'seed':<10} {args.seed}; default-physics runs capped at {cap:.0f}s, "
        f"add_edge at {args.add_edge_cap:.0f}s",
        "",
        "default = pyvis 0.3.2 defaults (barnesHut physics, 1000 stabilization iterations);",
        "kg.viz  = layout precomputed with rustworkx (Fruchterman-Reingold, seeded),",
        "          physics off.",
        "py build = Python time to make the page (layout included); add_edge = pyvis building",
        "the same network with add_node/add_edge (kg.viz and the default fill its lists directly).",
        "interactive: default = stabilizationIterationsDone (loading bar gone), kg.viz = first",
        "drawing; settled: default = 'stabilized' (nodes stop moving); kg.viz never moves.",
        "",
        f"{'nodes':>6} {'edges':>6} | {'default':>9} {'settled':>9} {'kg.viz':>8} {'ratio':>7} | "
        f"{'default':>9} {'kg.viz':>9} | {'py build':>8} {'add_edge':>9} {'add_edge':>9}",
        f"{'':>6} {'':>6} | {'interact.':>9} {'':>9} {'interact.':>8} {'':>7} | "
        f"{'MB':>9} {'MB':>9} | {'kg.viz':>8} {'directed':>9} {'undirect.':>9}",
    ]
    for r in rows:
        lines.append(
            f"{r['nodes']:>6} {r['edges']:>6} | "
            f"{_fmt(r['default_interactive_s'], cap):>9} {_fmt(r['default_settled_s'], cap):>9} "
            f"{_fmt(r['ours_interactive_s'], cap):>8} "
            f"{_ratio(r['default_interactive_s'], r['ours_interactive_s'], cap):>7} | "
            f"{r['default_bytes'] / 1e6:>9.2f} {r['ours_bytes'] / 1e6:>9.2f} | "
            f"{r['ours_build_s']:>7.2f}s {_fmt(r['add_edge_build_s'], args.add_edge_cap):>9} "
            f"{_fmt(r['add_edge_undirected_build_s'], args.add_edge_cap):>9}"
        )
    by_n = {r["nodes"]: r for r in rows}
    if 5_000 in by_n and 20_000 in by_n:
        base, ours20 = by_n[5_000]["default_interactive_s"], by_n[20_000]["ours_interactive_s"]
        budget = (base if base is not None else cap) / 10
        verdict = "met" if ours20 is not None and ours20 < budget else "NOT met"
        lines += [
            "",
            f"target: kg.viz at 20k nodes ({_fmt(ours20, cap)}) under a tenth of the default "
            f"at 5k ({_fmt(base, cap)} / 10 = {'>' if base is None else ''}{budget:.2f}s): "
            f"{verdict}",
        ]
    report = "\n".join(lines) + "\n"
    print()
    print(report, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text(report, encoding="utf-8")
    args.out.with_suffix(".json").write_text(
        json.dumps({"machine": machine, "cap_s": cap, "rows": rows}, indent=1) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.out.with_suffix('.txt')} and {args.out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

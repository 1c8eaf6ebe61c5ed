"""The talent-flow chart of ``kg analyze --chart`` (issue 23, "Time in every answer"): one lane
per alumnus with a dated fact, the tenure drawn only as far as the sources date it, each mark a
link to its quote, the axis only over the years of the facts, the text in the reader's language
and legible at a column width. Rendered by the real CLI from the built graph and read back."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from kg.analysis.flowchart import talent_flow
from kg.cli import main

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"
CJK = re.compile(r"[\u3400-\u9fff]")


def run(built, *args: str):
    return CliRunner().invoke(main, ["analyze", "--out", str(built.out), *args])


@pytest.fixture(scope="module")
def charts(full_built, tmp_path_factory):
    """The chart in both languages, drawn by `kg analyze --chart` on the whole project's build,
    with the JSON report of the same call."""
    folder = tmp_path_factory.mktemp("charts")
    out = {}
    for lang in ("en", "zh-Hans"):
        path = folder / f"flow-{lang}.svg"
        result = run(full_built, "--lang", lang, "--format", "json", "--chart", str(path))
        assert result.exit_code == 0, result.output
        assert f"Wrote {path}" in result.stderr
        out[lang] = (ET.parse(path).getroot(), json.loads(result.stdout))
    return out


def groups(svg: ET.Element, prefix: str) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if g.get("id", "").startswith(prefix)]


def text_of(element: ET.Element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{SVG}text"))


def dates_of(report: dict) -> list[str]:
    """Every date the chart may place: the tenures, the dated moves and the foundings."""
    founded = {c["id"]: c["founded"] for c in report["companies"]}
    dates = []
    for a in report["alumni"]:
        dates += [a["start"], a["end"]]
        dates += [w.get("start") for w in a["went"]]
        dates += [founded.get(w["org"]["id"]) for w in a["went"] if w["how"] == "founded"]
    dates += [e["date"] for e in report["timeline"] if e["event"] == "took role"]
    return [d for d in dates if d]


def test_one_lane_per_dated_alumnus_and_an_undated_tenure_is_not_a_bar(charts):
    for lang, (svg, report) in charts.items():
        lanes = [text_of(g) for g in groups(svg, "flow-lane-")]
        dated = [
            a["name"]
            for a in report["alumni"]
            if a["start"]
            or a["end"]
            or any(w.get("start") for w in a["went"])
            or any(
                c["founded"]
                for c in report["companies"]
                if c["id"] in {w["org"]["id"] for w in a["went"]}
            )
        ]
        assert sorted(lanes) == sorted(dated), lang
        assert len(lanes) == len(set(lanes))  # one lane each
        # Those no source dates at the organisation are said to be undated, one note each.
        undated = {a["name"] for a in report["alumni"] if not a["start"] and not a["end"]}
        notes = groups(svg, "flow-undated-")
        assert len(notes) == len(undated & set(lanes)) > 0
        word = "dates not given" if lang == "en" else "未注明"
        assert all(word in text_of(n) for n in notes)
        ids = {g.get("id")[len("flow-lane-") :]: text_of(g) for g in groups(svg, "flow-lane-")}
        for n in notes:
            assert ids[n.get("id")[len("flow-undated-") :]] in undated


def test_every_mark_links_to_its_quote_and_source(charts):
    svg, report = charts["en"]
    marks = groups(svg, "flow-mark-")
    lanes, _ = talent_flow(report)
    assert len(marks) == sum(len(lane.marks) for lane in lanes) >= 25
    for g in marks:
        title = g.find(f"{SVG}title")
        assert title is not None and "“" in title.text, g.get("id")
    links = [a.get(XLINK) for g in marks for a in g.iter(f"{SVG}a")]
    assert len(links) >= len(marks) // 2
    assert all(link.startswith(("http://", "https://")) for link in links)
    # Qi Lu's departure: its tooltip is the quote that writes May 2018, not his arrival.
    lane = next(i for i, lane in enumerate(lanes) if lane.name == "Qi Lu")
    kinds = [m.kind for m in lanes[lane].marks]
    left = next(g for g in marks if g.get("id") == f"flow-mark-{lane}-{kinds.index('left')}")
    said = left.find(f"{SVG}title").text
    assert said.startswith("Qi Lu left Baidu (2018-05-18)")
    assert "2017年空降百度" not in said


def test_each_marks_tooltip_says_its_event_as_the_timeline_does(charts):
    """A mark's tooltip opens with the event in the chart's language, as the report's timeline
    writes it ("陆奇离开百度"), not words glued with spaces ("陆奇: 加入 百度")."""
    svg, _ = charts["zh-Hans"]
    said = [g.find(f"{SVG}title").text.split("\n")[0] for g in groups(svg, "flow-mark-")]
    assert said and "陆奇加入百度 (2017-01)" in said and "陆奇离开百度 (2018-05-18)" in said
    events = [s.rsplit(" (", 1)[0] for s in said]  # without the date
    spaced = [s for s in events if re.search(r"[\u3400-\u9fff][ :]|[ :][\u3400-\u9fff]", s)]
    assert spaced == []


def test_the_axis_spans_only_the_years_of_the_facts(charts):
    for lang, (svg, report) in charts.items():
        years = [int(d[:4]) for d in dates_of(report)]
        ticks = [
            int(t.text)
            for t in svg.iter(f"{SVG}text")
            if t.text and re.fullmatch(r"(19|20)\d\d", t.text)
        ]
        assert ticks, lang
        assert min(years) <= min(ticks) and max(ticks) <= max(years) + 1, (ticks, lang)


def test_the_text_is_in_the_readers_language_and_legible_at_a_column_width(charts):
    for lang, (svg, _) in charts.items():
        width = svg.get("width")
        assert re.fullmatch(r"\d+(\.\d+)?", width) and 600 <= float(width) <= 700
        sizes = [
            float(m)
            for t in svg.iter(f"{SVG}text")
            for m in re.findall(r"font-size: ([\d.]+)px", t.get("style", ""))
        ]
        assert sizes and min(sizes) >= 10, lang
        shown = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
        if lang == "en":
            assert "Qi Lu" in shown and "Baidu alumni" in shown
            assert not CJK.search(shown), CJK.findall(shown)
        else:
            assert "陆奇" in shown and "百度前员工" in shown
            assert "Qi Lu" not in shown and "alumni" not in shown


def test_a_png_is_written_too(built, tmp_path):
    path = tmp_path / "flow.png"
    result = run(built, "--lang", "en", "--chart", str(path))
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert 1200 <= width <= 1400  # a column of about 660 px, at twice the pixels


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("flow.pdf", "give a file ending in .svg or .png (not '.pdf')"),
        ("flow", "(it has no extension)"),
        ("missing/flow.svg", "does not exist"),
    ],
)
def test_a_bad_chart_path_is_one_clear_error(built, tmp_path, name, said):
    result = run(built, "--chart", str(tmp_path / name))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --chart ") and said in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.splitlines()) == 1
    assert result.stdout == ""  # nothing is reported before the chart's path is known good


def test_lanes_say_no_more_than_the_facts():
    """A departure alone is a departure, not a tenure of that date; an earlier job is not
    what came next, a later one is; an alumnus with nothing dated has no lane."""
    report = {
        "lang": "en",
        "org": {"id": "org/big", "name": "Big"},
        "companies": [{"id": "org/s", "name": "S", "founded": "2017-06", "evidence": ["q3"]}],
        "timeline": [
            {
                "event": "left",
                "subject_id": "p/a",
                "object_id": "org/big",
                "date": "2016-06",
                "quotes": ["q1"],
                "description": "A left Big",
            }
        ],
        "alumni": [
            {
                "id": "p/a",
                "name": "A",
                "start": None,
                "end": "2016-06",
                "left_group": True,
                "evidence": ["q0", "q1"],
                "went": [
                    {"how": "founded", "org": {"id": "org/s", "name": "S"}},
                    {"how": "joined", "org": {"id": "org/old", "name": "Old"}, "start": "2009"},
                    {"how": "joined", "org": {"id": "org/new", "name": "New"}, "start": "2019"},
                ],
            },
            {
                "id": "p/b",
                "name": "B",
                "start": None,
                "end": None,
                "left_group": True,
                "evidence": ["q2"],
                "went": [],
            },
        ],
    }
    lanes, undated = talent_flow(report)
    (lane,) = lanes
    assert [(m.kind, m.date, m.label, m.quotes) for m in lane.marks] == [
        ("left", "2016-06", "", ["q1"]),
        ("founded", "2017-06", "S", ["q3"]),
        ("role", "2019", "New", []),
    ]
    assert undated == [{"id": "p/b", "name": "B"}]


@pytest.mark.parametrize(("start", "end"), [(None, "2016-06"), ("2012", None)])
def test_a_tenure_with_one_end_dated_fades_away_from_that_end(start, end):
    """The bar is solid at the dated end and fades towards the end no source dates: its
    undated side has no solid edge that would read as a date."""
    from kg.analysis.drawing import date_x, draw_talent_flow
    from kg.analysis.flowchart import Lane, Mark

    mark = Mark("left" if end else "joined", end or start, "", "A", ["q"])
    lane = Lane("p/a", "A", start, end, [mark])
    fig = draw_talent_flow([lane], [], lang="en", org="Big")
    (ax,) = fig.axes
    bars = sorted(ax.patches, key=lambda p: p.get_x())
    assert len(bars) > 2
    alphas = [p.get_alpha() for p in bars]
    dated = date_x(end or start)
    if end:  # dated on the right: the bar gets more solid towards it
        assert alphas == sorted(alphas) and bars[-1].get_x() + bars[
            -1
        ].get_width() == pytest.approx(dated)
    else:
        assert alphas == sorted(alphas, reverse=True) and bars[0].get_x() == pytest.approx(dated)
    assert max(alphas) == 1 and min(alphas) < 0.2

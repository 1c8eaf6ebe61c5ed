"""The writers of data files: one inter-process lock, checked before writing, exact YAML.

Issue 19, items 3, 4, 6, 8 and 14, against the real `kg resolve --judge` processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import unicodedata
from pathlib import Path

import pytest

from kg.data.dataset import load_dataset
from kg.project._yaml import dump_yaml, load_yaml
from kg.project.datafile import LOCK_NAME, data_lock
from kg.resolve.judgements import record_judgement
from tests.conftest import run_kg

PEOPLE = [
    "person/lu-qi",
    "person/robin-li",
    "person/ouyang-jian",
    "person/yu-kai",
    "person/huang-chang",
    "person/ni-kai",
    "person/wang-jing",
    "person/andrew-ng",
    "person/han-xu",
    "person/peng-jun",
]


def kg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_kg(root, *args, timeout=120)


def judge(*pair: str, verdict: str = "different", by: str = "Tester", why: str = "w", **more: str):
    args = ["resolve", "--judge", *pair, "--verdict", verdict, "--by", by, "--why", why]
    for key, value in more.items():
        args += [f"--{key}", value]
    return args


def judgements(root: Path) -> list[dict]:
    doc = load_yaml(root / "data" / "judgements.yaml")
    return [{k: v for k, v in j.items() if k != "__line__"} for j in doc["judgements"]]


# ---- 3: no judgement lost under concurrent writers -------------------------------------


def _waiting_on_lock(pid: int, lock: Path) -> bool:
    """Whether process *pid* is blocked on a flock of *lock* (from /proc/locks)."""
    inode = lock.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and f":{inode}" in line:
            owner = fields[fields.index("->") + 4]
            if owner == str(pid):
                return True
    return False


def test_a_judgement_waits_for_the_data_lock_and_keeps_the_other_writers_record(data_copy):
    data = data_copy / "data"
    with data_lock(data):
        proc = subprocess.Popen(
            [sys.executable, "-m", "kg", *judge(PEOPLE[0], PEOPLE[1])],
            env={**os.environ, "KG_HOME": str(data_copy)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while not _waiting_on_lock(proc.pid, data / LOCK_NAME):
                assert proc.poll() is None, "kg resolve --judge wrote while the lock was held"
                time.sleep(0.05)
            # Another writer records its judgement while the command waits.
            record_judgement(
                data / "judgements.yaml", PEOPLE[2], PEOPLE[3], "unsure", "Other", "2024", "x"
            )
        except BaseException:
            proc.kill()
            raise
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    pairs = [(j["a"], j["b"]) for j in judgements(data_copy)]
    assert pairs == [(PEOPLE[2], PEOPLE[3]), (PEOPLE[0], PEOPLE[1])]


def test_the_lock_files_never_show_in_git_status():
    root = Path(__file__).resolve().parents[1]
    names = [f"data/{LOCK_NAME}", "data/.review.lock"]
    done = subprocess.run(["git", "check-ignore", *names], cwd=root, capture_output=True, text=True)
    assert done.stdout.split() == names


def test_seven_judgements_recorded_at_once_are_all_kept(data_copy):
    pairs = [(a, b) for i, a in enumerate(PEOPLE) for b in PEOPLE[i + 1 :]]
    kept = 0
    for round_ in range(3):
        batch = pairs[round_ * 7 : round_ * 7 + 7]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "kg", *judge(a, b, why=f"round {round_}")],
                env={**os.environ, "KG_HOME": str(data_copy)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for a, b in batch
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0 and out.startswith("Recorded"), err
        kept += len(batch)
        found = {(j["a"], j["b"]) for j in judgements(data_copy)}
        assert found == set(pairs[:kept])
    load_dataset(data_copy / "data")  # and the file is one the build reads


# ---- 4: a judgement after a merge; fields the build refuses; flow style -------------------


def test_judging_after_a_same_judgement_works(data_copy):
    (data_copy / "data" / "entities" / "zz-test.yaml").write_text(
        textwrap.dedent("""\
            entities:
              - id: person/kai-yu-dup
                type: Person
                labels: {zh-Hans: 余凯博士, zh-Hant: 余凱博士, en: Dr Kai Yu}
                en_source: hanyu-pinyin
            """),
        encoding="utf-8",
    )
    first = kg(data_copy, *judge("person/yu-kai", "person/kai-yu-dup", verdict="same"))
    assert first.returncode == 0, first.stderr
    second = kg(data_copy, *judge(PEOPLE[0], PEOPLE[1]))
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    assert [j["verdict"] for j in judgements(data_copy)] == ["same", "different"]
    assert "person/kai-yu-dup" in load_dataset(data_copy / "data").merged


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("why", "two\nlines", "why"),
        ("why", "x" * 201, "why"),
        ("by", "Tester\nEvil", "by"),
        ("by", "Tester\x92", "by"),
        ("date", "2018-02-30", "date"),
        ("date", "last week", "date"),
    ],
)
def test_a_judgement_the_build_would_refuse_is_refused_and_nothing_written(
    data_copy, option, value, named
):
    args = judge(PEOPLE[0], PEOPLE[1], **{option: value})
    done = kg(data_copy, *args)
    assert done.returncode == 1
    assert done.stderr.startswith("Error:") and done.stderr.count("\n") == 1, done.stderr
    assert named in done.stderr and "Traceback" not in done.stderr
    assert not (data_copy / "data" / "judgements.yaml").exists()
    assert not [p for p in (data_copy / "data").iterdir() if p.name.endswith(".tmp")]


def test_a_flow_style_judgements_file_stays_valid(data_copy):
    path = data_copy / "data" / "judgements.yaml"
    path.write_text(
        "# hand-written\njudgements: [{a: person/lu-qi, b: person/robin-li, verdict: unsure,"
        ' by: Me, date: "2024-01", why: "not sure"}]\n',
        encoding="utf-8",
    )
    done = kg(data_copy, *judge(PEOPLE[2], PEOPLE[3]))
    assert done.returncode == 0, done.stderr
    assert path.read_text(encoding="utf-8").startswith("# hand-written\n")
    assert [(j["a"], j["verdict"], j["why"]) for j in judgements(data_copy)] == [
        ("person/lu-qi", "unsure", "not sure"),
        (PEOPLE[2], "different", "w"),
    ]
    load_dataset(data_copy / "data")


# ---- 8: a judgement's new name follows the label rules ----------------------------------


@pytest.mark.parametrize(
    "name",
    ["余\u202e凯", "余凯\n博士", "余" * 5000, "余凯\x92"],
    ids=["bidi", "newline", "long", "c1"],
)
def test_a_new_name_given_by_a_judgement_is_checked_as_a_label(data_copy, name):
    path = data_copy / "data" / "judgements.yaml"
    path.write_text(
        dump_yaml(
            {
                "judgements": [
                    {
                        "a": "person/yu-kai",
                        "b": name,
                        "verdict": "same",
                        "by": "Me",
                        "date": "2024",
                        "why": "an alias",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    done = kg(data_copy, "build", "--out", str(data_copy / "out"))
    assert done.returncode == 1
    assert f"{path}:" in done.stderr and "b (a new name)" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_plain_new_name_is_still_an_alias(data_copy):
    path = data_copy / "data" / "judgements.yaml"
    record_judgement(path, "person/yu-kai", "余博士", "same", "Me", "2024", "an alias")
    data = load_dataset(data_copy / "data")
    assert "余博士" in {label for label, _, _ in data.entities["person/yu-kai"].alt_labels}


# ---- 6: the YAML writer gives back every string exactly ---------------------------------


def _samples() -> dict[str, str]:
    """Up to 64 code points of each general category, all of the small ones."""
    by_category: dict[str, list[str]] = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue  # surrogates are not characters of a UTF-8 file
        by_category.setdefault(unicodedata.category(chr(cp)), []).append(chr(cp))
    return {cat: "".join(chars[:: max(1, len(chars) // 64)]) for cat, chars in by_category.items()}


def test_dump_yaml_round_trips_every_code_point_class(tmp_path):
    samples = _samples()
    assert {"Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cn", "Lo", "Mn", "So"} <= set(samples)
    tricky = [
        "\x85",  # NEL, which plain YAML reads back as a line break or space
        "\x92",  # a C1 control, the common mojibake apostrophe
        "\u2028",
        "\ufeffBOM",
        " leading and trailing ",
        "yes",
        "null",
        "2018-05",
        "1e3",
        "- item",
        "a: b",
        "# not a comment",
        "'quoted'",
        '"double"',
        "\\back",
        "",
        "\t",
        "line\nbreak",
        "\r\n",
        "😀 emoji",
        "\U0010fffd",
    ]
    doc = {"categories": samples, "tricky": tricky, "nested": [{"k": s} for s in tricky]}
    path = tmp_path / "round.yaml"
    path.write_text(dump_yaml(doc, "# header"), encoding="utf-8")
    back = load_yaml(path)
    assert {k: v for k, v in back["categories"].items() if k != "__line__"} == samples
    assert back["tricky"] == tricky
    assert [n["k"] for n in back["nested"]] == tricky
    for category, text in samples.items():  # one string at a time, as a field would be
        path.write_text(dump_yaml({"v": text}), encoding="utf-8")
        assert load_yaml(path)["v"] == text, category


# ---- 14: a writer killed between its temporary write and the rename ----------------------


def test_a_temporary_file_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "data" / "judgements.yaml"
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""\
                import os, signal
                from pathlib import Path
                os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
                from kg.project.datafile import atomic_write
                atomic_write(Path({str(target)!r}), b"judgements: []\\n")
                """),
        ],
        capture_output=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL
    left = [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and left[0].name.startswith(".")
    from kg.project.datafile import atomic_write

    atomic_write(target.parent / "other.yaml", b"x: 1\n")
    assert [p.name for p in target.parent.iterdir()] == ["other.yaml"]


@pytest.mark.parametrize(
    ("key", "value"),
    [("license", "CC BY\u202e 4.0"), ("license", "CC BY\n4.0"), ("note", "n" * 1001)],
)
def test_a_sources_licence_and_note_follow_the_text_rules_in_the_build(data_copy, key, value):
    meta = data_copy / "data" / "sources" / "jiemian-baidu-ai-decade.meta.yaml"
    doc = load_yaml(meta)
    doc[key] = value
    meta.write_text(dump_yaml(doc), encoding="utf-8")
    done = kg(data_copy, "build", "--out", str(data_copy / "out"))
    assert done.returncode == 1 and f"{meta}:" in done.stderr and key in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_drafts_are_written_under_the_lock_and_read_back_exactly(tmp_path):
    """`kg extract --write` is a writer of a data file too: every character of a quote (NEL,
    a C1 control, a separator, a bidi control, an astral format character) reads back as it
    was, and the file is written only once the project's YAML reader reads it."""
    from kg.extract.drafts import Draft, write

    quote = "余凯\x85离开\x92百度\u2028于\u202e2015\U000e0001年"
    draft = Draft(
        "relation", {"subject": "person/yu-kai", "relation": "alumniOf"}, quote, 0, 9, "r", 0.5
    )
    data = tmp_path / "data"
    with data_lock(data):  # another writer holds the lock: the write waits for it
        import threading

        done = threading.Event()

        def run():
            write(data, "s", [draft])
            done.set()

        writer = threading.Thread(target=run)
        writer.start()
        assert not done.wait(0.5) and not (data / "drafts" / "s.yaml").exists()
    writer.join(30)
    doc = load_yaml(data / "drafts" / "s.yaml")
    assert doc["relations"][0]["quote"] == quote

"""Source metadata cannot reach outside the project: ids are names, raw pages live in sources/."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

KG_BUILD = [sys.executable, "-m", "kg", "build"]
SOURCE = "jiemian-baidu-ai-decade"


def files_under(folder: Path) -> set[Path]:
    return {Path(dirpath, name) for dirpath, _, names in os.walk(folder) for name in names}


def kg_build(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KG_BUILD, "--root", str(root), "--out", str(out), "--no-validate"],
        capture_output=True,
        text=True,
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "bad_id", ["../../../../pwned", "a/b", "ABSOLUTE/pwned", "Upper", "-x", "x" * 101]
)
def test_a_source_id_that_is_not_a_plain_name_is_refused(data_copy, bad_id):
    """The id (here also in the statements, so the build gets as far as writing) names no path."""
    bad_id = bad_id.replace("ABSOLUTE", str(data_copy / "abs"))
    meta = data_copy / f"data/sources/{SOURCE}.meta.yaml"
    edit(meta, f"id: {SOURCE}\n", f'id: "{bad_id}"\n')
    edit(
        data_copy / f"data/statements/{SOURCE}.yaml", f"source: {SOURCE}\n", f'source: "{bad_id}"\n'
    )
    out = data_copy / "a/b/c/out"  # text/../../../../pwned.* would land in a/
    before = files_under(data_copy)
    result = kg_build(data_copy, out)
    assert error_line(result) == (
        f"Error: {meta}:3: source id {bad_id!r} is not allowed: use 1-100 lower-case letters, "
        "digits and hyphens, not starting with a hyphen (pattern [a-z0-9][a-z0-9-]{0,99})"
    )
    assert files_under(data_copy) == before
    assert not (data_copy / "a").exists()


def test_the_documented_pattern_admits_the_project_source():
    from kg.sources import SOURCE_ID

    assert SOURCE_ID.fullmatch(SOURCE)
    assert SOURCE_ID.pattern in (Path(__file__).parent.parent / "docs" / "sources.md").read_text()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "0" * 64


@pytest.mark.parametrize("how", ["absolute", "etc", "dotdot", "folder", "symlink"])
def test_raw_must_name_a_file_in_data_sources(data_copy, how):
    sources = data_copy / "data/sources"
    meta = sources / f"{SOURCE}.meta.yaml"
    outside = data_copy / "outside" / "page.txt"
    outside.parent.mkdir()
    outside.write_bytes((sources / f"{SOURCE}.raw.txt").read_bytes())  # the same page, elsewhere
    raw = {
        "absolute": str(outside),
        "etc": "/etc/os-release",
        "dotdot": "../../outside/page.txt",
        "folder": "sub/page.txt",
        "symlink": "linked.raw.txt",
    }[how]
    if how == "folder":
        (sources / "sub").mkdir()
        (sources / "sub/page.txt").write_bytes(outside.read_bytes())
    if how == "symlink":
        (sources / raw).symlink_to(outside)
    edit(meta, f"raw: {SOURCE}.raw.txt\n", f"raw: {raw}\n")
    if how == "etc":  # record its hash, so that only raw is wrong
        text = meta.read_text(encoding="utf-8")
        start = text.index("sha256: ") + len("sha256: ")
        meta.write_text(text[:start] + _sha256(Path(raw)) + text[start + 64 :], encoding="utf-8")
    out = data_copy / "out"
    last = error_line(kg_build(data_copy, out))
    if how == "symlink":
        assert last == (
            f"Error: {meta}:4: raw {raw!r} is a link to {outside}, outside {sources}/; "
            "put the raw page itself there"
        )
    else:
        assert last == (
            f"Error: {meta}:4: raw must be the file name of the raw page in {sources}/ "
            f"(no folder, no '..', not an absolute path), not {raw!r}"
        )
    assert not out.exists()

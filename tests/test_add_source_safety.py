"""`kg add-source` on careless or hostile input, run as the real command (issue 19, 8 and 13).

Special files (a device, a FIFO, a symbolic link) are refused before anything is read, a
file over the size limit is refused unless ``--max-size`` allows it, a large page shows its
progress, a bad ``--encoding`` is one ``Error:`` line, and ``--license`` and ``--note`` follow
the build's label rules. Each refusal names what is at fault and writes nothing.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

#: The documented default limit (README, ``kg add-source --help``).
LIMIT = 20 * 1024 * 1024


def _limit_memory() -> None:
    # A command that reads /dev/zero to the end fails here instead of filling the machine.
    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, 4 * 1024**3))


def add_source(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``kg add-source`` on the project *root*; a hang fails the test, not the run."""
    env = {**os.environ, "KG_HOME": str(root), "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "kg", "add-source", *args]
    try:
        return subprocess.run(
            command,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"kg add-source {' '.join(args)} did not finish in {timeout} s (it hangs)")


def data_files(root: Path) -> dict[str, bytes]:
    """Every data file and its bytes (the lock file aside)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / "data").rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """The one ``Error:`` line of a refusal, which holds each of *fragments*."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def options(title: str = "A page") -> list[str]:
    return ["--title", title, "--publisher", "Wikipedia", "--lang", "en"]


# --- anything but a regular file -----------------------------------------------------


@pytest.mark.skipif(not Path("/dev/zero").is_char_device(), reason="no /dev/zero")
def test_a_device_is_refused_unread(data_copy: Path) -> None:
    before = data_files(data_copy)
    result = add_source(data_copy, "/dev/zero", *options())
    refused(result, "/dev/zero: is a character device, not a regular file", "bytes without end")
    assert data_files(data_copy) == before


def test_a_fifo_is_refused_without_blocking(data_copy: Path) -> None:
    fifo = data_copy / "page.txt"
    os.mkfifo(fifo)
    before = data_files(data_copy)
    result = add_source(data_copy, str(fifo), *options(), timeout=60)
    refused(result, "page.txt: is a FIFO (named pipe), not a regular file", "wait for a writer")
    assert data_files(data_copy) == before


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="no /etc/passwd")
def test_a_symbolic_link_is_refused_not_followed(data_copy: Path) -> None:
    link = data_copy / "article.txt"
    link.symlink_to("/etc/passwd")
    before = data_files(data_copy)
    result = add_source(data_copy, str(link), *options())
    refused(result, "article.txt: is a symbolic link to /etc/passwd", "not a regular file")
    assert data_files(data_copy) == before
    passwd = Path("/etc/passwd").read_bytes()
    assert not any(data == passwd for data in data_files(data_copy).values())


# --- the size limit ------------------------------------------------------------------


def _page(path: Path, size: int) -> bytes:
    line = b"Kai Yu founded Horizon Robotics in Beijing in 2015.\n"
    data = (line * (size // len(line) + 1))[:size]
    path.write_bytes(data)
    return data


def test_a_file_over_the_limit_is_refused_unless_max_size_allows_it(data_copy: Path) -> None:
    page = data_copy / "huge.txt"
    data = _page(page, LIMIT + 1)
    before = data_files(data_copy)
    result = add_source(data_copy, str(page), *options("Huge"))
    refused(
        result,
        f"is {LIMIT + 1:,} bytes, more than the 20 MiB ({LIMIT:,} bytes) a source may have",
        "--max-size",
    )
    assert data_files(data_copy) == before

    allowed = add_source(data_copy, str(page), *options("Huge"), "--max-size", "21M")
    assert allowed.returncode == 0, allowed.stderr
    assert "Registered source huge (text, en)" in allowed.stdout
    assert (data_copy / "data" / "sources" / "huge.raw.txt").read_bytes() == data
    # A long page says what it is doing, on stderr, step by step.
    progress = allowed.stderr.splitlines()
    assert any(line.startswith("huge.txt (20 MiB): decoding and cleaning it") for line in progress)
    assert any("checking that the data loads with it" in line for line in progress)
    assert sum(line.strip().startswith("done in ") for line in progress) >= 2
    assert "huge.txt (20 MiB)" not in allowed.stdout


def test_max_size_lowers_the_limit_and_must_be_a_size(data_copy: Path) -> None:
    page = data_copy / "page.txt"
    _page(page, 2048)
    before = data_files(data_copy)
    low = add_source(data_copy, str(page), *options(), "--max-size", "1K")
    refused(low, "is 2,048 bytes, more than the 1 KiB (1,024 bytes) a source may have")
    bad = add_source(data_copy, str(page), *options(), "--max-size", "lots")
    assert bad.returncode == 2 and "'lots' is not a size such as 20M" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert data_files(data_copy) == before
    small = add_source(data_copy, str(page), *options(), "--max-size", "2K")
    assert small.returncode == 0, small.stderr
    assert "done in" not in small.stderr  # a short page shows no progress


# --- bad options: one clear error, nothing written -----------------------------------


@pytest.mark.parametrize("encoding", ["rot13", "base64"])
def test_an_encoding_that_is_not_a_text_encoding_is_one_error(
    data_copy: Path, encoding: str
) -> None:
    page = data_copy / "page.txt"
    page.write_text("Baidu makes chips.\n", encoding="utf-8")
    before = data_files(data_copy)
    result = add_source(data_copy, str(page), *options(), "--encoding", encoding)
    refused(result, f"--encoding {encoding!r} is not a text encoding", "utf-8, gbk")
    assert data_files(data_copy) == before


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--license", "CC BY-SA\n4.0", "--license holds a line break, U+000A LINE FEED"),
        ("--license", "CC BY-SA 4.0\u202e", "--license holds U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("--license", "L" * 201, "--license is 201 characters long (at most 200)"),
        ("--note", "copied from\nsomewhere", "--note holds a line break, U+000A LINE FEED"),
        ("--note", "copied \u202efrom a mirror", "--note holds U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("--note", "n" * 1001, "--note is 1001 characters long (at most 1000)"),
        ("--title", "Baidu\x85ten years", "--title holds a line break, U+0085 NEXT LINE"),
        ("--title", "Baidu\x92s ten years", "--title holds U+0092"),
        ("--license", "CC BY\x85SA", "--license holds a line break, U+0085 NEXT LINE"),
        ("--license", "Baidu\x92s own", "--license holds U+0092"),
    ],
)
def test_free_text_options_follow_the_label_rules(
    data_copy: Path, option: str, value: str, message: str
) -> None:
    page = data_copy / "page.txt"
    page.write_text("Baidu makes chips.\n", encoding="utf-8")
    before = data_files(data_copy)
    args = [*options(), option, value] if option != "--title" else options(value)
    result = add_source(data_copy, str(page), *args)
    refused(result, message)
    assert data_files(data_copy) == before


def test_metadata_is_written_by_the_yaml_writer_and_reads_back_exactly(data_copy: Path) -> None:
    from kg.data.dataset import load_dataset
    from kg.project._yaml import LINE, dump_yaml, load_yaml

    page = data_copy / "page.txt"
    page.write_text("Baidu makes chips.\n", encoding="utf-8")
    title = "Baidu: \"AI\" #1 — 'ten' years\u00a0on\u200d & more"
    license = "- [x] {CC BY}: yes, & !tag %p @q `r` ¥ 百度"
    note = "null"
    result = add_source(data_copy, str(page), *options(title), "--license", license, "--note", note)
    assert result.returncode == 0, result.stderr
    sid = result.stdout.split()[2]
    meta_path = data_copy / "data" / "sources" / f"{sid}.meta.yaml"
    meta = load_yaml(meta_path)
    assert (meta["headline"], meta["license"], meta["note"]) == (title, license, note)
    text = meta_path.read_text(encoding="utf-8")
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    assert text == dump_yaml({k: v for k, v in meta.items() if k != LINE}, header)
    assert load_dataset(data_copy / "data").sources[sid].meta["headline"] == title

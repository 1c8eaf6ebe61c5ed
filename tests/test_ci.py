"""The install step `make test` and .ci/run share (.ci/install-packages), with stub programs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A list that empties once the stub apt-get has "installed" the packages.
MISSING = """#!/usr/bin/env bash
here="$(dirname "$0")"
[ -e "$here/installed" ] || { echo chromium; echo virtuoso-opensource-7-bin; }
"""


def setup(tmp_path: Path, uid: int, sudo: str | None) -> tuple[Path, dict[str, str]]:
    ci = tmp_path / ".ci"
    ci.mkdir()
    shutil.copy(ROOT / ".ci/install-packages", ci / "install-packages")
    (ci / "missing-packages").write_text(MISSING)
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    stubs = {
        "id": f"#!/bin/sh\necho {uid}\n",
        "apt-get": f'#!/bin/sh\necho "apt-get $*" >> {tmp_path}/calls\n'
        f'[ "$1" = install ] && touch {ci}/installed\nexit 0\n',
    }
    if sudo is not None:
        stubs["sudo"] = sudo
    for name, body in stubs.items():
        (bin_ / name).write_text(body)
        (bin_ / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_}:/usr/bin:/bin"}
    return ci / "install-packages", env


def run(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)


def test_as_root_it_installs_what_is_missing(tmp_path):
    script, env = setup(tmp_path, uid=0, sudo=None)
    result = run(script, env)
    assert result.returncode == 0, result.stderr
    assert "installing the Debian packages the tests need: chromium virtuoso-opensource-7-bin" in (
        result.stdout
    )
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends chromium virtuoso-opensource-7-bin "
        "fontconfig",
    ]


def test_with_a_password_less_sudo_it_installs_through_sudo(tmp_path):
    sudo = f'#!/bin/sh\necho "sudo $*" >> {tmp_path}/sudo\n[ "$1" = -n ] && exit 0\nexec "$@"\n'
    script, env = setup(tmp_path, uid=1000, sudo=sudo)
    result = run(script, env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sudo").read_text().splitlines()[0] == "sudo -n true"
    assert "apt-get install" in (tmp_path / "calls").read_text()


def test_otherwise_it_prints_the_one_command_to_run(tmp_path):
    script, env = setup(tmp_path, uid=1000, sudo="#!/bin/sh\nexit 1\n")  # sudo asks a password
    result = run(script, env)
    assert result.returncode == 1
    assert result.stderr == (
        "make test needs these Debian packages: chromium virtuoso-opensource-7-bin\n"
        "install them with: sudo apt-get install -y --no-install-recommends "
        "chromium virtuoso-opensource-7-bin fontconfig\n"
    )
    assert not (tmp_path / "calls").exists()


def test_nothing_missing_installs_nothing(tmp_path):
    script, env = setup(tmp_path, uid=0, sudo=None)
    (script.parent / "installed").touch()
    result = run(script, env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert not (tmp_path / "calls").exists()


def test_make_test_and_ci_run_share_the_one_install_step():
    makefile = (ROOT / "Makefile").read_text()
    assert "\t@bash .ci/install-packages\n" in makefile
    assert "apt-get" not in makefile
    ci_run = (ROOT / ".ci/run").read_text()
    assert ci_run.rstrip().endswith("make test") and "apt-get" not in ci_run


def test_a_package_still_missing_after_the_install_is_an_error(tmp_path):
    script, env = setup(tmp_path, uid=0, sudo=None)
    (tmp_path / "bin/apt-get").write_text("#!/bin/sh\nexit 0\n")  # installs nothing
    result = run(script, env)
    assert result.returncode == 1
    assert result.stderr == (
        "still missing after apt-get install: chromium virtuoso-opensource-7-bin\n"
    )

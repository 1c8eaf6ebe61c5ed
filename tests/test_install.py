"""kg installed from its wheel, outside the checkout: a new project of one's own (issue 20).

The wheel is built from this repository and installed into a clean venv in a temporary
folder; the dependencies come from the test's own environment (a path added to the new
venv, whose .pth files are not run, so this checkout's editable install stays out of sight).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import urllib.request
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a clean venv holding kg from a wheel of this repository."""
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    log = built.stdout + built.stderr
    assert "warning" not in log.lower(), log  # no packaging warning
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "kg-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    (wheel,) = wheels.glob("kg-*.whl")
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return env_dir / "bin"


def _run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KG_HOME", "PYTHONPATH")}
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    return subprocess.run(
        [str(bin_dir / "kg"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_wheel_holds_every_package_and_the_package_data(installed):
    code = textwrap.dedent("""\
        import importlib, kg
        from importlib import resources
        print(kg.__file__)
        for name in ("kg.publish.push", "kg.serve.app", "kg.review.app", "kg.extract.drafts"):
            importlib.import_module(name)
        for pkg, name in (("kg.query.queries", "career.rq"), ("kg.static", "query.html"),
                          ("kg.project.skeleton", "ontology.ttl"),
                          ("kg.project.skeleton", "shapes.ttl"), ("kg.extract", "rules.yaml")):
            assert resources.files(pkg).joinpath(name).read_text(encoding="utf-8"), name
        """)
    done = subprocess.run(
        [str(installed / "python"), "-c", code], capture_output=True, text=True, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    assert str(ROOT) not in done.stdout and "site-packages/kg/" in done.stdout


def test_outside_a_project_kg_says_how_to_start_one(installed, tmp_path):
    done = _run(installed, tmp_path, "build")
    assert done.returncode == 1
    assert done.stderr.startswith("Error: no kg project") and "kg init" in done.stderr
    assert "Traceback" not in done.stderr


def test_init_add_a_source_build_query_and_push_help(installed, tmp_path):
    made = _run(installed, tmp_path, "init", "alumni")
    assert made.returncode == 0, made.stderr
    project = tmp_path / "alumni"
    assert {p.name for p in project.iterdir()} >= {
        "data",
        "ontology.ttl",
        "shapes.ttl",
        "README.md",
    }
    again = _run(installed, tmp_path, "init", "alumni")
    assert again.returncode == 1 and "not empty" in again.stderr
    # The README's first step: the publisher (and the facts' entities) in the registry.
    registry = project / "data" / "entities.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8").replace(
            "entities: []\n",
            textwrap.dedent("""\
                entities:
                  - id: org/example-news
                    type: Organization
                    labels: {zh-Hans: 示例新闻, zh-Hant: 示例新聞, en: Example News}
                    en_source: translation
                  - id: org/acme-ai
                    type: Organization
                    labels: {zh-Hans: 阿克米智能, zh-Hant: 阿克米智能, en: Acme AI}
                    en_source: translation
                  - id: person/jane-doe
                    type: Person
                    labels: {zh-Hans: 简·多伊, zh-Hant: 簡·多伊, en: Jane Doe}
                    en_source: translation
                """),
        ),
        encoding="utf-8",
    )
    article = tmp_path / "article.txt"
    article.write_text("Jane Doe founded Acme AI in 2021. She was its CEO.\n", encoding="utf-8")
    added = _run(
        installed, project, "add-source", str(article), "--title", "Acme", "--publisher",
        "Example News", "--lang", "en", "--id", "acme",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    drafted = _run(installed, project, "extract", "acme")
    assert drafted.returncode == 0 and "founder" in drafted.stdout, drafted.stderr
    (project / "data" / "statements" / "acme.yaml").write_text(
        textwrap.dedent("""\
            source: acme
            relations:
              - {id: founded, subject: Acme AI, relation: founder, object: Jane Doe, date: "2021",
                 quote: "Jane Doe founded Acme AI in 2021"}
            """),
        encoding="utf-8",
    )
    built = _run(installed, project, "build")
    assert built.returncode == 0, built.stderr
    assert (project / "build" / "kg.ttl").is_file()
    answered = _run(installed, project, "query", "founders", "--lang", "en", "--format", "csv")
    assert answered.returncode == 0, answered.stderr
    assert "Jane Doe" in answered.stdout and "Acme AI" in answered.stdout
    pushed = _run(installed, project, "push", "--help")
    assert pushed.returncode == 0 and "Publish the built graph" in pushed.stdout
    # kg serve, from the installed package's own pages and queries, on the new project.
    env = {k: v for k, v in os.environ.items() if k not in ("KG_HOME", "PYTHONPATH")}
    serving = subprocess.Popen(
        [str(installed / "kg"), "serve", "--port", "0", "--workers", "1"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = serving.stdout.readline().strip() if serving.stdout else ""
        assert base.startswith("http://127.0.0.1:"), serving.stderr.read() if serving.stderr else ""
        page = urllib.request.urlopen(base + "/", timeout=30).read().decode()
        assert "<html" in page.lower()
        request = urllib.request.Request(
            base + "/org/acme-ai", headers={"Accept": "application/n-triples"}
        )
        triples = urllib.request.urlopen(request, timeout=30).read().decode()
        assert "Jane Doe founded Acme AI in 2021" in triples
    finally:
        serving.terminate()
        serving.wait(timeout=10)

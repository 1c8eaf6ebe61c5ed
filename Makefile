# The task runner: every README command is a target here.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test system-check lint typecheck build clean venv bench bench-build bench-query bench-viz bench-scale load-serve notebook notebooks-refresh virtuoso

# setuptools announces every editable install with a warning ("Editable installation", an
# InformationOnly notice): silenced, so that a real packaging warning stands out.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -e '.[oxigraph,analysis,viz,notebooks,dev]'
	touch $(STAMP)

venv: $(STAMP)

## make demo: build the graph of the article and show what it holds
demo: $(STAMP)
	$(BIN)/kg build --out build
	$(BIN)/kg viz --out build/graph.html
	@echo "Open build/graph.html in a browser (it works offline); kg serve serves it at /graph."

## make test: lint, type-check, build the docs site and run the whole test suite
test: $(STAMP) system-check lint typecheck docs
	$(BIN)/python -m pytest

# The tests drive real programs from Debian's packages (.ci/missing-packages lists them):
# installed here as root or with a password-less sudo; otherwise the command to run is printed.
system-check:
	@bash .ci/install-packages

## make docs: the documentation site, built strictly (a broken link or anchor fails) into site/
.PHONY: docs
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

lint: $(STAMP)
	$(BIN)/ruff check kg tests bench
	$(BIN)/ruff format --check kg tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy kg

build: $(STAMP)
	$(BIN)/kg build --out build

## make bench: the benchmarks (about 26 minutes: 25 for the first three, half a minute for the build; not part of make test); results in bench/results/
bench: bench-query load-serve bench-viz bench-build

bench-query: $(STAMP)
	$(BIN)/python bench/bench_query.py

load-serve: $(STAMP)
	$(BIN)/python bench/load_serve.py

## make bench-build: the build of 10k, 100k and 1M synthetic triples, stage by stage
bench-build: $(STAMP)
	$(BIN)/python bench/bench_build.py

## make bench-scale: kg push to a throwaway Virtuoso and every named query on it beside Oxigraph, at 1M triples (SIZES=1000000,10000000 for more)
SIZES ?= 1000000
bench-scale: $(STAMP) system-check
	$(BIN)/python bench/bench_scale.py --sizes $(SIZES)

bench-viz: $(STAMP)
	$(BIN)/python bench/bench_viz.py

## make bench-extract: kg extract on 10 KB, 100 KB and 1 MB of news and 100 KB of pathological texts, the code before the fix beside it; results in bench/results/extract.txt
.PHONY: bench-extract
bench-extract: $(STAMP)
	$(BIN)/python bench/bench_extract.py

## make virtuoso: a throwaway Virtuoso on loopback, with a password made for the run, to try kg push on (Ctrl-C stops it and removes it)
virtuoso: $(STAMP) system-check
	$(BIN)/kg virtuoso --dir .virtuoso

## make notebook: open the notebooks in JupyterLab (installed into the venv on first use)
notebook: $(STAMP)
	$(BIN)/kg build --out build
	test -x $(BIN)/jupyter-lab || $(BIN)/python -m pip install --quiet 'jupyterlab>=4'
	$(BIN)/jupyter lab notebooks

## make notebooks-refresh: re-run the notebooks top to bottom and save their outputs
notebooks-refresh: $(STAMP)
	$(BIN)/kg build --out build
	cd notebooks && ../$(BIN)/jupyter-execute --inplace *.ipynb
	$(BIN)/python -c 'import json, sys; [json.dump((lambda nb: [c["metadata"].pop("execution", None) for c in nb["cells"]] and nb)(json.load(open(p))), open(p + ".tmp", "w"), ensure_ascii=False, indent=1) or __import__("os").replace(p + ".tmp", p) for p in sys.argv[1:]]' notebooks/*.ipynb

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Python keeps compiled modules (__pycache__) here even where the environment says not to (some images set
# PYTHONDONTWRITEBYTECODE=1): without them every process of the suite and every web process compiled every
# module it imported from source again (a warm `make test` used 316-320 cpu-s with that, 275 without).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-db fuzz bench faults faults-ci screenshots constraints clean

# The venv is filled by uv (PyPI's `uv`, Astral's installer: about 8 s here where pip took 30-40 s), from the pinned
# versions in constraints.txt; pip does the same when uv cannot be had. New pins: `make constraints`. Modules are
# compiled at their first import (above), not all of them at install.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	($(BIN)/pip install --quiet uv && $(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[dev]') \
		|| $(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## constraints: pin every dependency anew (the newest versions that satisfy pyproject.toml, for Python 3.11 and later)
constraints: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 -q -o constraints.txt

## run: install, start the embedded PostgreSQL (unless DATABASE_URL), migrate, seed, serve.
## The demo turns the second factor off (COORDINATION_REQUIRE_2FA=off, printed by serve); deployments keep it on.
run: $(STAMP)
	$(BIN)/coordination init
	$(BIN)/coordination demo --if-empty
	COORDINATION_REQUIRE_2FA=$${COORDINATION_REQUIRE_2FA:-off} $(BIN)/coordination serve

## test: the whole suite against a real PostgreSQL (embedded, or DATABASE_URL), in TEST_WORKERS processes
## (pytest-xdist; one test file per process at a time, so module and session fixtures are shared as written)
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## test-db: only the tests that need PostgreSQL
test-db: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m db

## fuzz: schemathesis and hypothesis over every API operation as every role (FUZZ_CASES=10000 by default);
## the report (cases per role, status codes, failures with curl lines) is printed and kept in var/fuzz-report.txt
FUZZ_CASES ?= 10000
FUZZ_SEED  ?= 20260302
fuzz: $(STAMP)
	@rm -f var/fuzz-report.txt
	COORDINATION_FUZZ_CASES=$(FUZZ_CASES) COORDINATION_FUZZ_SEED=$(FUZZ_SEED) \
		$(BIN)/python -m pytest tests/web/test_openapi_fuzz.py -q -p no:cacheprovider --show-capture=no --tb=line; \
		status=$$?; cat var/fuzz-report.txt 2>/dev/null; exit $$status

## bench: commands and reads over HTTP against `serve` (demo data), then rebuilds and reads on a generated
## history (EVENTS=1000000 by default); ends with issue 14's targets, each with its ratio, bound and PASS/FAIL
EVENTS ?= 1000000
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --events $(EVENTS)

## faults: a bounded fault-injection run (own PostgreSQL, serve, 27 clients, kills and outages) that proves
## nothing acknowledged is lost or doubled and that the service recovers by itself; exit 1 on a failed property
FAULT_SECONDS ?= 120
faults: $(STAMP)
	$(BIN)/python -m faults.run --seconds $(FAULT_SECONDS)

## faults-ci: the same, shorter (about 40 s of load), as .ci/run calls it after `make test`
faults-ci: $(STAMP)
	$(BIN)/python -m faults.run --seconds 40 --recovery-timeout 45 --settle 30

## screenshots: the main pages of every role over the demo history, at 1366×768 and 375×812, into
## var/screenshots/ (not committed; needs Debian's chromium)
screenshots: $(STAMP)
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) var .pytest_cache

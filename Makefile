# NRS — two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test lint typecheck install browser messages clean serve

$(STAMP): pyproject.toml package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	npm ci --omit=dev --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP)

## demo: install, migrate SQLite, load the registry and demo data, serve on 127.0.0.1:8000
demo: install
	NRS_DEMO=1 $(BIN)/nrs init
	NRS_DEMO=1 $(BIN)/nrs demo
	@echo ""
	@echo "Open http://$(HOST):$(PORT)/ and sign in with a demo login above."
	NRS_DEMO=1 $(BIN)/nrs serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/nrs serve --host $(HOST) --port $(PORT)

## test: the whole suite (PostgreSQL when NRS_DATABASE_URL is set, else SQLite);
## PYTEST_ARGS passes options, e.g. PYTEST_ARGS='-m "not engine_independent"'
PYTEST_ARGS ?=
test: install browser
	$(BIN)/pytest $(PYTEST_ARGS)

## browser: Debian's Chromium (browser tests), headless LibreOffice Calc and Writer (the Excel
## template and the DOCX report must open in them), poppler (PDF pages to PNG and text),
## faketime (the demo runs at a fixed date), Liberation Serif (the briefings' Times New Roman,
## metric-compatible) and GNU gettext (the catalogue's freshness check); skipped without them, except under CI=true
browser:
	@if { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/soffice ] || [ ! -x /usr/bin/pdftoppm ] \
	      || [ ! -x /usr/bin/faketime ] || [ ! -x /usr/bin/xgettext ] || [ ! -e /usr/lib/libreoffice/program/libswlo.so ] \
	      || [ ! -e /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ]; } && [ "$$(id -u)" = "0" ] \
	    && command -v apt-get >/dev/null; then \
	  echo "Installing Chromium and LibreOffice Calc for the tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium fonts-dejavu-core libreoffice-calc-nogui libreoffice-writer-nogui \
	    poppler-utils libpango-1.0-0 libpangoft2-1.0-0 faketime fonts-liberation2 gettext >/dev/null) \
	    || echo "Could not install them: those tests will be skipped"; \
	fi

lint: install
	$(BIN)/ruff check nrs tests scripts
	$(BIN)/lint-imports
	$(BIN)/mypy nrs

## messages: extract new strings into nrs/locale/vi/LC_MESSAGES/django.po (needs GNU gettext),
## then compile the committed .mo; translate the new empty msgstrs in django.po, then run it again
messages: install
	cd nrs && ../$(BIN)/nrs makemessages -l vi --no-obsolete
	cd nrs && ../$(BIN)/nrs compilemessages

clean:
	rm -rf $(VENV) var build *.egg-info node_modules

## bench: the national-scale benchmark on the local PostgreSQL (docs/benchmarks.md, issue 8):
## ~10 million values through the bulk API and the bulk path, NRS against the raw database;
## about an hour on 2 cores. BENCH_NATIONAL names a database nrs_bench… (created, then dropped);
## BENCH_ARGS passes options, e.g. BENCH_ARGS="--months 12 --checkpoints 1e6,3e6" for a short run
BENCH_NATIONAL ?= postgres://postgres@127.0.0.1:5432/nrs_bench_national
BENCH_ARGS     ?=
.PHONY: bench bench-demo wrk
bench: install wrk
	$(BIN)/python benchmarks/national.py --database-url $(BENCH_NATIONAL) $(BENCH_ARGS)

wrk:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null \
	  && apt-get install -y -qq wrk >/dev/null; } || { echo "install wrk (Debian: apt-get install wrk)"; exit 1; }

## bench-demo: dashboard pages and approval-to-visibility on a fresh demo database;
## SQLite by default, PostgreSQL with DB=postgres (BENCH_PG names a database nrs_bench…, created and dropped)
DB         ?= sqlite
BENCH_PG   ?= postgres://postgres@127.0.0.1:5432/nrs_bench
bench-demo: install
	$(BIN)/python benchmarks/dashboard.py $(if $(filter postgres postgresql,$(DB)),--database-url $(BENCH_PG)) $(BENCH_ARGS)

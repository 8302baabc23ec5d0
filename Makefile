# Two commands: `make run` serves riskapp, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := riskapp

.PHONY: run test lint bench install chromium clean

run: install
	$(BIN)/flask db upgrade
	-$(BIN)/flask questionnaires publish
	$(BIN)/flask demo load
	@# The scan worker runs beside the web server and stops when it stops.
	$(BIN)/flask scans worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --timeout 120 \
		--access-logfile - wsgi:app

test: install chromium
	$(BIN)/ruff check .
	$(BIN)/bandit --quiet --recursive --severity-level medium riskapp scanners bench migrations wsgi.py
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/bandit --quiet --recursive --severity-level medium riskapp scanners bench migrations wsgi.py

# Measured speed at scale, beside the tools people use today (see bench/README.md); never
# part of `make test`, and never failing on a missed target: the table says by how much.
bench: install
	$(BIN)/python -m bench.run

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "riskapp needs Python 3.11 or newer (found $(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The end-to-end test drives Debian's chromium (Playwright never downloads a browser), and the
# reports embed DejaVu and, for CJK vendor names, WenQuanYi Micro Hei. Install them where this
# machine can (root with apt-get); elsewhere those tests skip, or the browser test fails with CI=true.
chromium:
	@command -v chromium >/dev/null && [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
		&& [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
		|| { [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null && apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core \
		fonts-wqy-microhei; } \
		|| echo "chromium or the report fonts are missing and cannot be installed here"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

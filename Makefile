# Two entry points: `make up` runs the whole stack, `make test` runs the suite.
# Each creates the virtualenv and installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/redress: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/redress

.PHONY: install up test lint
install: $(BIN)/redress

up: install
	$(BIN)/redress up

# The console's browser tests need Debian's Chromium, and a font with Chinese glyphs for zh-CN.
test: install
	command -v chromium >/dev/null && fc-list :lang=zh | grep -q . \
		|| (apt-get update -q && apt-get install -y -q chromium fonts-wqy-zenhei)
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/mypy redress workflows activities bench worker.py starter.py tests

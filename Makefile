# Two commands for a fresh machine (see README): `make plan` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STACK  ?= dev

.PHONY: plan test lint schemas system-deps toolchain

# The virtual environment is made on first use and refreshed when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable ".[test]"
	touch $@

plan: $(VENV)/.installed
	$(BIN)/site-vpn plan $(STACK)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

system-deps:
	bash .ci/system-deps.sh

# The Pulumi CLI, language hosts and providers, built from ../shared/upstream (toolchain/README.md).
# .toolchain/env is written last, once the providers are installed.
toolchain: .toolchain/env

.toolchain/env: toolchain/versions.env toolchain/build.sh
	bash toolchain/build.sh

test: lint system-deps toolchain
	$(BIN)/python -m pytest --durations=40

schemas: $(VENV)/.installed
	$(BIN)/python -m sitevpn.schemas

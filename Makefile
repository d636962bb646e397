# Two commands do all set-up on a fresh machine with python3:
#   make lab   - JupyterLab on notebooks/ with the bundled demo data (PORT=8888)
#   make test  - every test (lint, unit, widgets, notebooks, browser)
#   make app   - the notebooks as an app on 127.0.0.1 for one machine (Voila; APP_PORT=8866)
#   make hub   - the app for a desk team: JupyterHub on 127.0.0.1 (HUB_PORT=8000, README)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
APP_PORT ?= 8866
HUB_PORT ?= 8000

.PHONY: lab app hub test lint bench clean

$(BIN)/python:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { echo "python3 cannot make a virtual \
	environment here: install it with 'apt-get install python3-venv' and run make again."; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

# deploy/lab: notebooks saved without outputs or run metadata (unchanged in git after a
# run), and no news pop-up
lab: $(VENV)/.installed
	cd notebooks && JUPYTER_CONFIG_PATH="$(CURDIR)/deploy/lab" ../$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	  --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

# deploy/voila.json: 127.0.0.1 only (other Host names refused), no tracebacks, no file served,
# preheated kernels never culled while a page holds them, kernels of closed pages culled within
# two minutes, bounded websockets (the browser tests use the same file). In demo mode the
# README's sandbox (support-kit sandbox, 127.0.0.1:8765) runs beside it, so the pages' links
# outlive the pages; one already running there is used.
app: $(VENV)/.installed-dev
	cd notebooks && if ../$(BIN)/python -c "import sys; from support_kit.config import \
	  load_settings; sys.exit(not load_settings().demo)"; then ../$(BIN)/support-kit sandbox \
	  >/dev/null 2>&1 & fi; trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	  ../$(BIN)/voila --port=$(APP_PORT) "--Voila.config_file_paths=$(CURDIR)/deploy" .

$(VENV)/.installed-hub: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[hub]'
	touch $@ $(VENV)/.installed

# deploy/jupyterhub_config.py: logins (PAM; a trial with SUPPORT_KIT_HUB_TRIAL_PASSWORD), the
# keeper service (the only process that gets the SUPPORT_KIT_* secrets), agents' desk pages
hub: $(VENV)/.installed-hub
	@command -v configurable-http-proxy >/dev/null 2>&1 || { echo "JupyterHub's proxy is \
	missing: install it with 'npm install -g configurable-http-proxy' (README, A desk team)."; exit 2; }
	HUB_PORT=$(HUB_PORT) $(BIN)/jupyterhub -f "$(CURDIR)/deploy/jupyterhub_config.py"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check support_kit tests benchmarks

# The tests keep their desk memory (the default store) in build/test-data, never the user's.
test: export XDG_DATA_HOME := $(CURDIR)/build/test-data
test: lint
	rm -rf build/test-data
	$(BIN)/python -m pytest --doctest-modules support_kit tests
	$(BIN)/python tests/nbval_prepare.py build/nbval >/dev/null
	$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg build/nbval

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/report_scale.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# Two commands for everyone: `make run` (the course's main job) and `make test`.
# Both bootstrap .venv from the lock file first, so a fresh machine needs only python3 and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export PYTHONHASHSEED := 0

.PHONY: run test integration check claims lab data outputs exercises bench lint lock clean help browser sandbox proxy hub

help:
	@echo "make run        generate and validate the sample data, run every notebook into build/"
	@echo "make test       units, notebooks, nbval: all but sweeps, benchmarks and integration"
	@echo "                (goal: under 6 min on an idle 2-core machine)"
	@echo "make integration hub and Voila dashboards in Chromium, hostile grading as root and"
	@echo "                as a user (about 5 min; CI runs it after make test)"
	@echo "make check      the inner loop: ruff and the unit tests (no notebook, browser, hub)"
	@echo "make claims     the seed sweeps: lesson claims on 8 more seeds, reports on 20, README on 60"
	@echo "make lab        JupyterLab on the course"
	@echo "make data       regenerate datasets/ (and its data dictionary) from the default seed"
	@echo "make outputs    re-execute lessons and solutions in place (commit their outputs)"
	@echo "make exercises  rebuild exercises/ from solutions/"
	@echo "make book       the course as a static site in build/book/ (offline, no notebook run)"
	@echo "make bench      every benchmark's smoke run, then at scale (writes benchmarks/README.md)"
	@echo "make lint       ruff on the package, tests and notebooks"
	@echo "make browser    install Debian chromium for the browser tests (root, when missing)"
	@echo "make sandbox    install bubblewrap for sandboxed grading (root, when missing)"
	@echo "make lock       re-pin requirements.lock from pyproject.toml"
	@echo "make proxy      install configurable-http-proxy (npm) for the course's JupyterHub"
	@echo "make hub        a local JupyterHub on 127.0.0.1:8000 with demo learners and an instructor"

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/crm-course run --out build

# units and notebook runs (tests/), plus nbval: committed lesson and solution outputs
# must match a fresh run on this machine. Each lesson runs once per dataset per session
# (tests/notebook_runs.py); the seed sweeps (marker `claims`) are `make claims`, the
# benchmarks' smoke runs (`bench`) `make bench`, the long integration tests
# (`integration`) `make integration`. benchmarks/bench_suite.py reads this recipe.
test: $(STAMP) browser sandbox proxy
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not claims and not bench and not integration" \
	  tests --nbval --nbval-current-env notebooks solutions

# the integration tests that start whole services (markers in tests/conftest.py): the
# course's JupyterHub with three learners in Chromium, the hostile class graded in the
# sandbox as root and as an unprivileged user, the Voila dashboards in Chromium.
# `.ci/run` runs it after `make test`.
integration: $(STAMP) browser sandbox proxy
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "integration and not claims" tests

# the inner loop (under a minute): lint, then every test that starts no kernel, browser
# or hub and sweeps no seeds (markers in pyproject.toml); without the nbval plugin, which
# checks notebooks only (its nbformat import: 1.4 CPU-s in the main process)
UNIT := not notebook and not browser and not hub and not slow and not claims and not bench \
  and not integration
check: $(STAMP)
	$(BIN)/ruff check helpers tests benchmarks notebooks solutions
	$(BIN)/python -m pytest -q -n 2 -p no:nbval -m "$(UNIT)" tests

# the seed sweeps: every lesson claim on 8 more seeds, the report's claims on 20 seeds
# (course story and effect 0), the README's spread over 60 seeds
claims: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m claims tests

# Debian's chromium for the browser tests (tests/test_dashboard_browser.py); never a
# Playwright browser download. Installs only when missing and we may (root).
browser:
	@test -x /usr/bin/chromium || [ "$$(id -u)" != 0 ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	@test -x /usr/bin/chromium || echo "no /usr/bin/chromium: browser tests will be skipped"

# bubblewrap: `crm-course grade` runs each submission in a sandbox and refuses without
# one (tests/test_hostile.py is skipped). Installs only when missing and we may (root).
sandbox:
	@command -v bwrap >/dev/null || [ "$$(id -u)" != 0 ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap)
	@command -v bwrap >/dev/null || echo "no bwrap: sandboxed grading tests will be skipped"

# configurable-http-proxy for JupyterHub (tests/test_hub_browser.py, make hub), pinned by
# deploy/jupyterhub/package-lock.json; installs Debian's nodejs/npm only when missing (root).
PROXY := deploy/jupyterhub/node_modules/.bin/configurable-http-proxy
proxy: $(PROXY)
$(PROXY): deploy/jupyterhub/package.json deploy/jupyterhub/package-lock.json
	@command -v npm >/dev/null || [ "$$(id -u)" != 0 ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	@if command -v npm >/dev/null; then cd deploy/jupyterhub && npm ci --no-audit --no-fund \
	  --loglevel=error && touch node_modules/.bin/configurable-http-proxy; \
	  else echo "no npm: the JupyterHub browser test will be skipped"; fi

# the whole flow on one machine: log in as ana, ben or chloe (learners) or teacher
hub: $(STAMP) proxy
	$(BIN)/crm-course hub --port 8000

# deploy/jupyterlab/labconfig: the news question's answer ("no") and no update check, as
# JupyterLab's default settings (the server flags alone leave the pop-up)
lab: $(STAMP)
	JUPYTER_CONFIG_PATH=$(CURDIR)/deploy/jupyterlab \
	$(BIN)/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root,) \
	  --LabApp.news_url=None \
	  --LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate

data: $(STAMP)
	$(BIN)/crm-course data generate --out datasets
	$(BIN)/crm-course data docs --out datasets/README.md

outputs: $(STAMP)
	$(BIN)/crm-course execute notebooks/*.ipynb solutions/*.ipynb
	$(BIN)/crm-course build-exercises

exercises: $(STAMP)
	$(BIN)/crm-course build-exercises

# the committed lessons, exercise prompts, README pages, KPI reference and sample report as
# a book (Sphinx + MyST-NB, book/); CRM_COURSE_HUB_LINK=https://HUB/hub/user-redirect/lab/tree/{path}
# links each page to the notebook on the course hub
.PHONY: book
book: $(STAMP)
	$(BIN)/python -m crm_course.book --out build/book

# every benchmark's smoke run first (tests/test_benchmarks.py, marker `bench`: a broken
# benchmark fails in a minute), then each at scale
bench: $(STAMP) browser
	$(BIN)/python -m pytest -q -m bench tests/test_benchmarks.py
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check helpers tests benchmarks notebooks solutions

lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 \
	  --custom-compile-command "make lock" -o requirements.lock

clean:
	rm -rf build .pytest_cache

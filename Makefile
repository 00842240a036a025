# Everything a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

# The locks pin every package, pip and setuptools included, with the hashes of its files:
# requirements/runtime.txt is what the app runs on (`make run`), requirements/dev.txt adds the dev
# extra (lint, typecheck, tests). `make lock` rewrites both from pyproject.toml (README, "Dependencies").
RUNTIME_LOCK := requirements/runtime.txt
DEV_LOCK := requirements/dev.txt
PIP := $(BIN)/python -m pip

.PHONY: install install-runtime lock system-deps run web scheduler test test-postgresql lint typecheck pytest bench bench-rush translations clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# The project itself goes in editable, without its dependencies (the lock has them) and built by the
# lock's setuptools; it is what registers the `flask tracker` commands (pyproject's flask.commands).
$(VENV)/.installed-runtime: $(RUNTIME_LOCK) pyproject.toml | $(BIN)/activate
	$(PIP) install -q --require-hashes -r $(RUNTIME_LOCK)
	$(PIP) install -q --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed: $(DEV_LOCK) $(VENV)/.installed-runtime
	$(PIP) install -q --require-hashes -r $(DEV_LOCK)
	touch $@

install: $(VENV)/.installed translations

install-runtime: $(VENV)/.installed-runtime translations

# pip-compile runs in a venv of its own, so the lock tools never enter the app's.
LOCK_TOOLS := pip==26.3 pip-tools==7.6.2
LOCK_BIN := $(VENV)/lock-tools/bin
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_BIN)/pip-compile --no-config --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

$(LOCK_BIN)/pip-compile:
	$(PYTHON) -m venv $(VENV)/lock-tools
	$(LOCK_BIN)/python -m pip install -q $(LOCK_TOOLS)

# `make lock` keeps every pin that still satisfies pyproject.toml and requirements/build.in;
# UPGRADE='flask werkzeug' (or UPGRADE=flask==3.1.3) moves those packages, LOCK_ARGS=--upgrade all of
# them. dev.txt is held to runtime.txt's versions. A package is passed on (-P) only to a lock that
# already pins it, since pip-compile would add any other one to that lock.
UPGRADE ?=
lock-name = $(subst -,[-_.],$(subst .,-,$(subst _,-,$(firstword $(subst =, ,$(subst <, ,$(subst >, ,$(subst ~, ,$(subst !, ,$(1))))))))))
lock-upgrades = $(foreach p,$(UPGRADE),$(if $(shell grep -qiE '^$(call lock-name,$(p))==' $(1) && echo y),-P '$(p)'))

lock: $(LOCK_BIN)/pip-compile
	$(PIP_COMPILE) $(call lock-upgrades,$(RUNTIME_LOCK)) -o $(RUNTIME_LOCK) pyproject.toml requirements/build.in
	$(PIP_COMPILE) $(call lock-upgrades,$(DEV_LOCK)) --extra dev -c $(RUNTIME_LOCK) -o $(DEV_LOCK) \
		pyproject.toml requirements/build.in

system-deps:
	@.ci/system-deps

translations: $(VENV)/.installed-runtime
	@if ls tracker/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d tracker/translations >/dev/null; fi

instance:
	mkdir -p instance

# The development configuration on purpose: under gunicorn the default is production, which needs a
# SECRET_KEY of its own (README, Configuration).
run: install-runtime system-deps instance
	$(FLASK) db upgrade
	$(FLASK) tracker load-demo
	@echo "绩效目标跟踪: http://$(HOST):$(PORT)/  (demo users: finance, dept122, unit122101, unit122201, unit122301; password tracker-demo)"
	@$(FLASK) tracker scheduler & sched=$$!; \
		trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
		TRACKER_CONFIG=development $(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) wsgi:app

web: install-runtime system-deps instance
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) wsgi:app

scheduler: install-runtime instance
	$(FLASK) tracker scheduler

lint: install
	$(BIN)/ruff check tracker tests bench config.py wsgi.py
	$(BIN)/ruff format --check tracker tests bench config.py wsgi.py
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy tracker

pytest: install system-deps node_modules/.installed
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# axe-core for the accessibility test, from package-lock.json (pinned, with integrity hashes).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: lint typecheck pytest

# The same suite against the local PostgreSQL (each run creates and drops its own database).
test-postgresql:
	TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(MAKE) pytest

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The 5th of the month through gunicorn (README, "Bench"): RUSH_ARGS='--clerks 50 --departments 100'.
bench-rush: install translations
	$(BIN)/python -m bench.rush $(RUSH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache test-output

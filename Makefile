# Everything a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install system-deps run web scheduler test test-postgresql lint typecheck pytest bench translations clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations

system-deps:
	@.ci/system-deps

translations: $(VENV)/.installed
	@if ls tracker/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d tracker/translations >/dev/null; fi

instance:
	mkdir -p instance

run: install system-deps instance
	$(FLASK) db upgrade
	$(FLASK) tracker load-demo
	@echo "绩效目标跟踪: http://$(HOST):$(PORT)/  (demo users: finance, dept122, unit122101, unit122201, unit122301; password tracker-demo)"
	@$(FLASK) tracker scheduler & sched=$$!; \
		trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
		$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

web: install system-deps instance
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) wsgi:app

scheduler: install instance
	$(FLASK) tracker scheduler

lint: install
	$(BIN)/ruff check tracker tests bench config.py wsgi.py
	$(BIN)/ruff format --check tracker tests bench config.py wsgi.py

typecheck: install
	$(BIN)/mypy tracker

pytest: install system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test: lint typecheck pytest

# The same suite against the local PostgreSQL (each run creates and drops its own database).
test-postgresql:
	TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(MAKE) pytest

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache test-output

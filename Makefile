# Wanjia — the two quick-start commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-stamp
export WANJIA_ENV ?= development

.PHONY: setup run test bench soak translations extract-messages update-messages migrate migration migration-msg seed clean

setup: $(STAMP) translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# .mo files are compiled here, never committed.
translations: $(STAMP)
	$(BIN)/pybabel -q compile -d translations

extract-messages: $(STAMP)
	$(BIN)/python -m tools.i18n_check --templates
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output -o translations/messages.pot core ledger campaigns donate finance templates

update-messages: extract-messages
	$(BIN)/pybabel -q update -N --ignore-obsolete -i translations/messages.pot -d translations

migrate: setup
	$(FLASK) db upgrade

# A new schema revision from the models: make migration MSG="add pledges". Read it before
# committing; a revision creating ledger tables must call ledger.schema.install_triggers.
migration: migration-msg setup
	$(FLASK) db migrate -m "$(MSG)"

migration-msg:
	@test -n "$(MSG)" || { echo 'usage: make migration MSG="what changed"'; exit 2; }

seed: migrate
	$(FLASK) demo seed

run: seed
	$(BIN)/python -m tools.run_local

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every benchmark (bench/: the giving day, the ledger, the schema floor); a quick look:
# make bench BENCH_ARGS="--gifts 2000 --engine sqlite --scaling-gifts 0 --postings 20000".
# The giving day's load generator (locust) comes with the test extra that setup installs.
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

# The trust tests pushed hard (issue #10): 20x the hypothesis and schemathesis examples, and
# the bank test on PostgreSQL with SOAK_OPS operations (CI runs a few hundred). -s shows the
# bank test's seed and summary.
SOAK_OPS ?= 5000
soak: setup
	HYPOTHESIS_PROFILE=soak WANJIA_BANK_OPS=$(SOAK_OPS) $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/trust $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache

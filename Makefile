# The two set-up commands of the README: `make demo` and `make test`. Each creates the virtual
# environment in .venv on first use (and brings it up to date when pyproject.toml changes):
# `make demo` installs only what the portal needs to run, `make test` adds the test tools.
VENV ?= .venv
PYTHON ?= python3
PORT ?= 8000
# Test processes side by side (pytest-xdist); 0 runs the suite in this process alone.
TEST_WORKERS ?= auto

.PHONY: install demo test messages

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e .
	touch $@

# One pip run for everything (what `make test` and .ci/run need), which covers `make demo` too.
$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed-run $@

# Everything: the portal and the test tools.
install: $(VENV)/.installed-dev

# The portal with demo data on http://127.0.0.1:$(PORT); emailed links point there too, unless
# ISH_BASE_URL says otherwise. The nightly retention purge stays off, so that last year's data past
# its retention is there to try `ish-portal retention run` on (ISH_RETENTION_NIGHTLY=true turns it on).
demo: $(VENV)/.installed-run
	ISH_ENV=development ISH_BASE_URL=$${ISH_BASE_URL:-http://127.0.0.1:$(PORT)} $(VENV)/bin/ish-portal demo
	ISH_ENV=development ISH_BASE_URL=$${ISH_BASE_URL:-http://127.0.0.1:$(PORT)} \
		ISH_RETENTION_NIGHTLY=$${ISH_RETENTION_NIGHTLY:-false} \
		$(VENV)/bin/ish-portal serve --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed-dev
	scripts/ensure-chromium
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# After changing user-facing text: refresh the template catalogue and every language's .po file,
# translate the new entries (tests/web/test_translations.py lists what is missing), then compile.
# The compiled .mo files are committed: the portal loads them, and they are what a test checks
# against the .po files.
LOCALES = $(notdir $(wildcard ish_portal/locale/*))
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 \
		-k npgettext:1c,2,3 -k N_ --no-location --omit-header -o ish_portal/locale/messages.pot .
	for lang in $(filter-out messages.pot,$(LOCALES)); do \
		$(VENV)/bin/pybabel update -i ish_portal/locale/messages.pot -d ish_portal/locale -l $$lang \
			--no-fuzzy-matching; done
	$(VENV)/bin/pybabel compile -d ish_portal/locale --statistics

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
# ISH_BASE_URL says otherwise.
demo: $(VENV)/.installed-run
	ISH_ENV=development ISH_BASE_URL=$${ISH_BASE_URL:-http://127.0.0.1:$(PORT)} $(VENV)/bin/ish-portal demo
	ISH_ENV=development ISH_BASE_URL=$${ISH_BASE_URL:-http://127.0.0.1:$(PORT)} \
		$(VENV)/bin/ish-portal serve --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed-dev
	scripts/ensure-chromium
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# After changing user-facing text: refresh the catalogue, then translate the new German entries.
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location \
		--omit-header -o ish_portal/locale/messages.pot .
	$(VENV)/bin/pybabel update -i ish_portal/locale/messages.pot -d ish_portal/locale -l de --no-fuzzy-matching

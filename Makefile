# The two set-up commands of the README: `make demo` and `make test`. Each creates the virtual
# environment in .venv on first use (and again when pyproject.toml changes).
VENV ?= .venv
PYTHON ?= python3

.PHONY: install demo test messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	ISH_ENV=development $(VENV)/bin/ish-portal demo
	ISH_ENV=development $(VENV)/bin/ish-portal serve --host 127.0.0.1 --port 8000

test: install
	scripts/ensure-chromium
	$(VENV)/bin/pytest

# After changing user-facing text: refresh the catalogue, then translate the new German entries.
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location \
		--omit-header -o ish_portal/locale/messages.pot .
	$(VENV)/bin/pybabel update -i ish_portal/locale/messages.pot -d ish_portal/locale -l de --no-fuzzy-matching

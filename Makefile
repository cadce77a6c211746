# Developer shortcuts. The CI command is the README's: pip install '.[test]' && python -m pytest
PYTHON ?= python
DATA_DIR ?= ./linkhub-data

.PHONY: help install test test-fast lint format serve settings readme-settings webhook-docs wheel clean

help:
	@echo "make install | test | test-fast | lint | format | serve | settings | readme-settings | webhook-docs | wheel | clean"

install:
	$(PYTHON) -m pip install -e '.[test]'

test:
	$(PYTHON) -m pytest

test-fast:
	$(PYTHON) -m pytest -n auto

lint:
	$(PYTHON) -m ruff check linkhub tests linkhub.py setup.py

format:
	$(PYTHON) -m ruff format linkhub tests linkhub.py

serve:
	$(PYTHON) linkhub.py serve --data-dir $(DATA_DIR)

settings:
	@$(PYTHON) linkhub.py settings

# Rewrite README's settings table from the registry (tests/test_config.py checks they agree).
webhook-docs:
	$(PYTHON) -c "from pathlib import Path; from linkhub.services import webhook_catalogue as c; \
	Path('docs/webhook-events.md').write_text(c.markdown())"

readme-settings:
	$(PYTHON) -c "from pathlib import Path; from linkhub import config; \
	p = Path('README.md'); s = p.read_text(); \
	a = s.index('| Setting | Environment variable |'); b = s.index('\n\n', a); \
	p.write_text(s[:a] + config.markdown_table() + s[b:])"

wheel:
	$(PYTHON) -m pip wheel --no-deps -w dist .

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache

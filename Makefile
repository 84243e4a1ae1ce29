# The two commands a newcomer types: `make run` and `make test`.
# Both set everything up on first use (system libraries on Debian/Ubuntu, .venv, the project)
# and refresh .venv when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.inkseal-installed
.PHONY: run test lint typecheck screenshots bench package clean setup

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

setup: $(STAMP)

$(STAMP): pyproject.toml packaging/linux/system-packages.txt
	@sh packaging/linux/ensure-system-packages.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,dev,package]'
	@touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy inkseal

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m inkseal.ui.screenshots docs/screenshots

bench: $(STAMP)
	$(PY) benchmarks/import_speed.py
	$(PY) benchmarks/scan_speed.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/report_speed.py
	$(PY) benchmarks/startup.py

# The installable app: dist/inkseal (PyInstaller), and on Linux the .deb and the tarball.
package: $(STAMP)
	$(PY) packaging/build.py --out dist --work build/pyinstaller

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

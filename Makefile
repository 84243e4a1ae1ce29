# The two commands a newcomer types: `make run` and `make test`.
# Both set everything up on first use (system libraries on Debian/Ubuntu, .venv, the project)
# and refresh .venv when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.inkseal-installed
.PHONY: run test lint typecheck screenshots bench package fuzz clean setup

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
	@sh packaging/linux/ensure-system-packages.sh "libvips-tools libimage-exiftool-perl"
	$(PY) benchmarks/import_speed.py --memory 5000
	$(PY) benchmarks/scan_speed.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/report_speed.py
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/scale.py --works 1000000
	$(PY) benchmarks/upkeep_speed.py --works 100000

# The installable app: dist/inkseal (PyInstaller), and on Linux the .deb and the tarball.
package: $(STAMP)
	@sh packaging/linux/ensure-system-packages.sh binutils
	$(PY) packaging/build.py --out dist --work build/pyinstaller

# The long runs of the reliability tests: hypothesis with many examples, atheris
# (coverage-guided, where it installs) over the corpus, and many more kills mid-import.
FUZZ_SECONDS ?= 300
fuzz: $(STAMP)
	@$(PY) -m pip install --quiet --disable-pip-version-check atheris || echo "atheris does not install here; hypothesis only"
	INKSEAL_FUZZ_EXAMPLES=20000 INKSEAL_FUZZ_RANDOM=1 INKSEAL_KILLS=100 QT_QPA_PLATFORM=offscreen \
		$(PY) -m pytest -q -p no:cacheprovider --durations=0 tests/unit/test_fuzz.py \
		tests/unit/test_hostile_files.py tests/e2e/test_crash_safety.py
	@if $(PY) -c "import atheris" 2>/dev/null; then \
		mkdir -p build/fuzz-corpus && cp ../shared/corpus/* build/fuzz-corpus/ 2>/dev/null; \
		$(PY) tests/fuzz/atheris_probe.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4000 \
			-artifact_prefix=build/fuzz- build/fuzz-corpus; fi

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

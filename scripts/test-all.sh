#!/usr/bin/env bash
# Runs every StreamInfer test: Java (unit, TopologyTestDriver, integration on a real broker) and
# Python (datasets, training at dry-run size, export parity, committed models, the benchmark
# scripts' helpers). Creates the training virtualenv from training/requirements.txt when it is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# the virtualenv first: the Java suite's PythonClientsIT runs the documented Python client with it
if [ ! -x training/.venv/bin/python ]; then
  python3 -m venv training/.venv
fi
training/.venv/bin/pip install -q --disable-pip-version-check -r training/requirements.txt
# the training package itself (editable), which the benchmark scripts import
training/.venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e training

./mvnw -B -ntp verify
(cd training && .venv/bin/python -m pytest tests -p no:cacheprovider)
(cd benchmarks/python && ../../training/.venv/bin/python -m pytest -p no:cacheprovider)

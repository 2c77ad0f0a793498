#!/usr/bin/env bash
# Runs every StreamInfer test: Java (unit, TopologyTestDriver, integration on a real broker) and
# Python (datasets, training at dry-run size, export parity, committed models). Creates the
# training virtualenv from training/requirements.txt when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -ntp verify

if [ ! -x training/.venv/bin/python ]; then
  python3 -m venv training/.venv
fi
training/.venv/bin/pip install -q --disable-pip-version-check -r training/requirements.txt
cd training && .venv/bin/python -m pytest tests -p no:cacheprovider

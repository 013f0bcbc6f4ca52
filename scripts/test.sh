#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: installs what the tests need, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
.venv/bin/ruff check commerce payments media bots tests bench
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"

#!/usr/bin/env bash
# One command from a fresh clone to a running shop: installs, writes bot.toml on first run, starts it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -f bot.toml ]; then
  .venv/bin/chatshop init .
fi
exec .venv/bin/chatshop run "$@"

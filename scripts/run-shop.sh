#!/usr/bin/env bash
# One command from a fresh clone to a running shop: installs, then starts the shop of the repository's bot.toml
# (the commented default; writes a fresh one first if it was deleted). Arguments go to `chatshop run`.
set -euo pipefail
# The command line as typed here, so chatshop's hints ("start again with …") name this script, not chatshop.
printf -v CHATSHOP_START_COMMAND '%q ' "$0" "$@"
export CHATSHOP_START_COMMAND="${CHATSHOP_START_COMMAND% }"
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -f bot.toml ]; then
  .venv/bin/chatshop init .
fi
exec .venv/bin/chatshop run "$@"

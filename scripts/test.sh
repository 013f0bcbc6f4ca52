#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: installs what the tests need, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

# Local chain tools (docs/architecture.md#testing). Each step is skipped when already done; a tool that cannot
# be installed only turns its tests into skips that say why.
chain_tools="@foundry-rs/anvil@1.7.1 solc@0.8"
tools_stamp=".tools/.installed"   # holds the package list it was made from: change the list, reinstall
if [ "$(cat "$tools_stamp" 2>/dev/null)" != "$chain_tools" ]; then
  mkdir -p .tools
  # shellcheck disable=SC2086  # the package list is meant to split
  if command -v npm >/dev/null 2>&1 &&
     npm install --prefix .tools --no-audit --no-fund $chain_tools >.tools/npm-install.log 2>&1; then
    echo "$chain_tools" >"$tools_stamp"
  else
    echo "warning: could not install $chain_tools into .tools (see .tools/npm-install.log); EVM tests will skip" >&2
  fi
fi
if ! command -v litecoind >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt_log="$(mktemp)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq litecoind; } >"$apt_log" 2>&1; then
      echo "warning: apt-get install litecoind failed (log: $apt_log); litecoind/Esplora tests will skip" >&2
    else
      rm -f "$apt_log"
    fi
  else
    echo "note: litecoind is not installed and this is not root with apt-get; litecoind/Esplora tests will skip" >&2
  fi
fi

.venv/bin/ruff check commerce payments media bots tests bench
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"

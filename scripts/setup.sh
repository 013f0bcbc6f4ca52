#!/usr/bin/env bash
# Creates .venv and installs chatshop (with the test extra when asked). Idempotent and quiet when done before.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=".venv/.installed${extra:+-$extra}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extra:+[$extra]}"
  touch "$stamp"
fi
# A Japanese (CJK) font for text on payment cards (media/fonts.py). Cards still render without one,
# but Japanese text would show as empty boxes; installed only as root and only when missing.
cjk_font_present() {
  [ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || fc-list ':lang=ja' file 2>/dev/null | grep -q .
}
if ! cjk_font_present; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    install_font() {
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=120 \
        fonts-ipaexfont-gothic >/dev/null 2>&1
    }
    install_font || { apt-get update -qq -o DPkg::Lock::Timeout=120 >/dev/null 2>&1 && install_font; } || true
  fi
  cjk_font_present || echo "warning: no Japanese font (apt-get install fonts-ipaexfont-gothic): Japanese text on payment cards will show as boxes" >&2
fi

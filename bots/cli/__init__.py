"""The `chatshop` command line (bots/cli/main.py)."""

from __future__ import annotations

import sys


def main() -> int:
    """The console script's entry point. Ctrl-C while the command line itself is still loading ends quietly
    too (130), like Ctrl-C at any later moment."""
    try:
        from bots.cli.main import main as run_chatshop
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return run_chatshop()

"""The Discord storefront (discord.py 2): `build_bot` wires it onto a `Shop`, `run_discord` runs it."""

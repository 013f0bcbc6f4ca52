"""The chat front-ends (Telegram, Discord), the CLI and what they share.

Importing `bots` costs nothing: each front-end imports its framework when it is used (aiogram through
`bots.telegram`, with its types built on first use: bots/lazy_aiogram.py), so `chatshop --help` and the
catalog commands never load a chat framework.
"""

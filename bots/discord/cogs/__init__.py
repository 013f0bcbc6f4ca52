"""One cog per feature (STYLE.md rule 13): the same names as the Telegram handlers and the core services."""

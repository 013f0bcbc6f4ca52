"""One cog per feature: the same names as the Telegram handlers and the core services."""

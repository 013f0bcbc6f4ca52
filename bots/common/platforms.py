"""The chat apps the shop serves, by the names their identities carry (`telegram:123`, `discord:456`).

The core takes any platform name (`commerce.customers.PLATFORM_NAME`); these are the ones our front-ends
use. Another chat app is another adapter folder under `bots/` with its name here.
"""

from __future__ import annotations

from typing import Final

TELEGRAM: Final = "telegram"
DISCORD: Final = "discord"

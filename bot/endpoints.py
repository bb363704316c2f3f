"""Where discord.py sends REST calls and opens the gateway.

discord.py hard-codes https://discord.com/api/v10 and wss://gateway.discord.gg/. Deployments
behind a REST or gateway proxy need to change them, and so do the end-to-end tests, which run
the real client against a local Discord double. Both are class attributes read when a
request or connection is made, so setting them before the client connects is enough. This is
what the settings DISCORD_API_BASE_URL and DISCORD_GATEWAY_URL do.
"""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl


def apply_discord_endpoints(api_base_url: str | None, gateway_url: str | None) -> None:
    """Point discord.py at `api_base_url` (…/api/v10) and `gateway_url` (ws[s]://…); None
    leaves Discord's default. Process-wide: call it before the client logs in."""
    if api_base_url:
        if not api_base_url.startswith(("http://", "https://")):
            raise ValueError(f"DISCORD_API_BASE_URL must be an http(s) URL, got {api_base_url!r}")
        discord.http.Route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        if not gateway_url.startswith(("ws://", "wss://")):
            raise ValueError(f"DISCORD_GATEWAY_URL must be a ws(s) URL, got {gateway_url!r}")
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

"""What a user saw of an interaction, read from the requests the bot made to the double.

A user sees a message when a type-4 callback, a followup or an edit of the original
response succeeded; a defer alone ("thinking…") is not an answer. Reading the requests
(rather than the double's message store) covers every way the bot may answer, including
an ephemeral followup after the public "thinking…" message was deleted.
"""

from __future__ import annotations

import re
from typing import Any

from tests.discord_double import DiscordDouble, InteractionHandle, RecordedRequest

ERROR_TITLE = "Can't answer that"


def message_bodies(handle: InteractionHandle) -> list[dict[str, Any]]:
    """Message payloads of the interaction that Discord accepted, in order."""
    out: list[dict[str, Any]] = []
    for r in handle.requests:
        if not r.ok or not isinstance(r.json, dict):
            continue
        if r.path.endswith("/callback"):
            if r.json.get("type") == 4:
                out.append(r.json.get("data") or {})
        elif r.method in ("POST", "PATCH"):
            out.append(r.json)
    return out


def channel_bodies(double: DiscordDouble, channel_id: int, after: int = 0) -> list[dict[str, Any]]:
    """Messages the bot posted to a channel (with its token, not through an interaction)."""
    pattern = re.compile(rf"^/channels/{channel_id}/messages$")
    return [
        r.json
        for r in double.requests.items[after:]
        if r.method == "POST" and pattern.match(r.path) and r.ok and isinstance(r.json, dict)
    ]


def text_of(body: dict[str, Any]) -> str:
    parts = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def is_error(body: dict[str, Any]) -> bool:
    """An error the bot chose to show: its error embed, or a plain text notice."""
    embeds = body.get("embeds") or []
    return (
        bool(body.get("content"))
        and not embeds
        or any(e.get("title") == ERROR_TITLE for e in embeds)
    )


async def wait_answer(handle: InteractionHandle, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Wait until the user has seen something (an answer or an error); return all of it."""
    await handle.double.requests.wait(
        lambda r: bool(message_bodies(handle)),
        timeout=timeout,
        what=f"an answer to interaction {handle.id}",
    )
    return message_bodies(handle)


def sends(handle: InteractionHandle) -> list[RecordedRequest]:
    """Every message-carrying request of the interaction, accepted or not."""
    return [
        r for r in handle.requests
        if isinstance(r.json, dict) and ("embeds" in r.json.get("data", r.json)
                                         or "content" in r.json.get("data", r.json))
    ]  # fmt: skip


def pings_nobody(body: dict[str, Any]) -> bool:
    return (body.get("allowed_mentions") or {}).get("parse") == []

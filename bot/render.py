"""Render a :class:`commands.reply.Reply` as a Discord embed (+ chart attachment).

Discord's limits: 256-character titles, 4096 description, 25 fields of at most 256/1024,
2048 footer, 6000 characters in all. Long member lists are summarised to fit rather than
failing the request.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import discord

from analytics.metrics.text import clip
from commands.reply import Field, Reply

COLOURS = {
    "gain": 0x2ECC71,
    "loss": 0xE74C3C,
    "neutral": 0x95A5A6,
    "error": 0xE67E22,
    "info": 0x5865F2,
}
MAX_TITLE, MAX_DESC, MAX_FIELDS, MAX_NAME, MAX_VALUE, MAX_FOOTER, MAX_TOTAL = (
    256,
    4096,
    25,
    256,
    1024,
    2048,
    6000,
)
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass(slots=True)
class Rendered:
    embed: discord.Embed
    file: discord.File | None
    ephemeral: bool


def to_embed(reply: Reply) -> Rendered:
    title = reply.title + (" · stale" if reply.stale and "stale" not in reply.title.lower() else "")
    embed = discord.Embed(
        title=clip(title, MAX_TITLE),
        description=clip(reply.description, MAX_DESC) if reply.description else None,
        colour=COLOURS.get(reply.tone, COLOURS["neutral"]),
    )
    fields = list(reply.fields)
    if len(fields) > MAX_FIELDS:
        rest = fields[MAX_FIELDS - 1 :]
        fields = fields[: MAX_FIELDS - 1]
        summary = "\n".join(f"{f.name}: {f.value}" for f in rest)
        fields.append(Field(f"{len(rest)} more", summary, inline=False))
    for f in fields:
        embed.add_field(
            name=clip(f.name, MAX_NAME) or "\u200b",
            value=clip(f.value, MAX_VALUE) or "\u200b",
            inline=f.inline,
        )
    footer = reply.footer
    if reply.caption and reply.image:
        footer = f"{reply.caption} · {footer}" if footer else reply.caption
    if footer:
        embed.set_footer(text=clip(footer, MAX_FOOTER))
    _fit_total(embed)
    file = None
    if reply.image:
        file = discord.File(io.BytesIO(reply.image), filename=reply.image_name)
        embed.set_image(url=f"attachment://{reply.image_name}")
    return Rendered(embed, file, reply.ephemeral)


def _fit_total(embed: discord.Embed) -> None:
    """Drop fields from the end (then shorten the description) until under 6000 chars."""
    dropped = 0
    while len(embed) > MAX_TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        dropped += 1
    if len(embed) > MAX_TOTAL and embed.description:
        room = max(100, len(embed.description) - (len(embed) - MAX_TOTAL) - 60)
        embed.description = clip(embed.description, room)
    if dropped:
        note = f"{dropped} section{'s' if dropped > 1 else ''} left out to fit Discord; the console's --json has everything"
        if len(embed) + len(note) + 2 <= MAX_TOTAL and len(embed.fields) < MAX_FIELDS:
            embed.add_field(name="More", value=note, inline=False)


# -- buttons of two readings (see bot.asking) ------------------------------------------------
BUTTON_PREFIX = "ask:"
#: Discord's limits: a custom_id of at most 100 characters, a label of at most 80.
MAX_CUSTOM_ID, MAX_LABEL = 100, 80


def buttons(choices: tuple[str, ...]) -> discord.ui.View | None:
    """A button for each command line that fits a custom_id (the text lists them all)."""
    fitting = [c for c in choices if len(BUTTON_PREFIX + c) <= MAX_CUSTOM_ID]
    if not fitting:
        return None
    # The click is handled by Asking.on_interaction, whether or not this view is still
    # alive; the timeout only bounds discord.py's own bookkeeping of the view.
    view = discord.ui.View(timeout=600)
    for line in fitting:
        label = line if len(line) <= MAX_LABEL else line[: MAX_LABEL - 1] + "…"
        view.add_item(
            discord.ui.Button(
                label=label, custom_id=BUTTON_PREFIX + line, style=discord.ButtonStyle.secondary
            )
        )
    return view

"""The reply object every command returns, and its plain-text rendering for the console.

Commands are pure functions ``(context, options) -> Reply``; the console and Discord only
render. ``data`` is the structured result printed by ``--json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from analytics.metrics.loading import Excluded, summarize_excluded
from analytics.metrics.text import clip

Tone = Literal["gain", "loss", "neutral", "error", "info"]


@dataclass(slots=True)
class Field:
    name: str
    value: str
    inline: bool = True


@dataclass(slots=True)
class Reply:
    title: str
    description: str = ""
    fields: list[Field] = field(default_factory=list)
    tone: Tone = "neutral"
    footer: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    image: bytes | None = None
    image_name: str = "chart.png"
    caption: str = ""
    ephemeral: bool = False
    exit_code: int = 0
    stale: bool = False
    #: One line shown above the reply (``/ask``: "Understood as `/returns …`").
    note: str = ""
    #: Commands offered to pick from (a question with two readings): Discord shows a
    #: button for each, the console prints them.
    choices: tuple[str, ...] = ()

    @classmethod
    def error(cls, message: str, exit_code: int = 2) -> Reply:
        return cls(
            title="Can't answer that",
            description=message,
            tone="error",
            ephemeral=True,
            exit_code=exit_code,
            data={"error": message, "exit_code": exit_code},
        )

    def to_text(self) -> str:
        """A console rendering: note, title, description, fields, caption, footer, as
        :func:`plain` text (a terminal shows Discord's markdown as stray characters)."""
        parts = [plain(self.note)] if self.note else []
        parts.append(plain(self.title) + (" [stale]" if self.stale else ""))
        parts += [plain(self.description)] if self.description else []
        for f in self.fields:
            value = plain(f.value)
            sep = "\n" if "\n" in value else " "
            parts.append(f"{plain(f.name)}:{sep}{value}")
        parts += [plain(text) for text in (self.caption, self.footer) if text]
        return "\n".join(parts)


# What Discord renders and a terminal would print as is. Replies use bold, inline code, code
# fences (tables) and channel mentions; single ``*`` and ``_`` are left alone on purpose:
# they stand in text (``25.0x*`` marks a provider's ratio, ``America/New_York``), and
# replies never use them for italics. A pair inside a word (``2**53``) is not markdown.
_BOLD = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])")
_UNDERLINE = re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)")
_MENTION = re.compile(r"<(#|@!?|@&)(\d+)>")
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::[tTdDfFR])?>")


def plain(text: str) -> str:
    """``text`` without Discord markdown, for a terminal: code-fence lines dropped (the
    table inside stays aligned), ``**bold**`` and ``__underline__`` and inline backticks
    unwrapped, ``<#123>`` as ``#123``, ``<@123>`` / ``<@&123>`` as ``@123``, and
    ``<t:1741388400:R>`` as ``2025-03-07 23:00 UTC``."""
    text = "\n".join(line for line in text.splitlines() if not line.startswith("```"))
    text = _BOLD.sub(r"\1", text)
    text = _UNDERLINE.sub(r"\1", text)
    text = text.replace("`", "")
    text = _MENTION.sub(lambda m: ("#" if m.group(1) == "#" else "@") + m.group(2), text)
    return _TIMESTAMP.sub(_timestamp, text)


def _timestamp(match: re.Match[str]) -> str:
    try:
        when = datetime.fromtimestamp(int(match.group(1)), UTC)
    except (OverflowError, OSError, ValueError):
        return match.group(0)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def footer(source: str, *parts: str | None) -> str:
    """``Data: <source> · part · part`` (empty parts left out): every reply's footer."""
    return " · ".join(["Data: " + source, *[p for p in parts if p]])


def excluded_text(excluded: Sequence[Excluded]) -> str:
    """Members left out, one line per distinct reason, fitted to an embed field."""
    return clip(summarize_excluded(excluded, sep="\n"), 1000)


def pts(value: float | None) -> str:
    """A spread in percentage points: ``+53.18 pts`` / ``n/a``."""
    return "n/a" if value is None else f"{value:+.2f} pts"


def notes_field(notes: list[str]) -> list[Field]:
    """The "Notes" field (clipped at a line break to fit a field), or none without notes."""
    return [Field("Notes", clip("\n".join(notes), 1000), inline=False)] if notes else []


def tone_of(value: float | None) -> Tone:
    if value is None:
        return "neutral"
    return "gain" if value > 0 else "loss" if value < 0 else "neutral"


def money(value: float | None, currency: str = "") -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        text = f"{value:,.2f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.4f}"
    return f"{text} {currency}".strip()


def big_money(value: float | None) -> str:
    """``$1.23T``, ``$439.0B``, ``-$12.5M``."""
    if value is None:
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if v >= size:
            return f"{sign}${v / size:,.2f}{unit}"
    return f"{sign}${v:,.0f}"


def table(rows: list[list[str]], align: str = "") -> str:
    """A monospace table in a code block (aligned in Discord and the console).

    ``align`` has one letter per column: ``l`` or ``r`` (default ``l`` for the first
    column, ``r`` for the rest).
    """
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            a = align[i] if i < len(align) else ("l" if i == 0 else "r")
            cells.append(cell.ljust(widths[i]) if a == "l" else cell.rjust(widths[i]))
        lines.append("  ".join(cells).rstrip())
    return "```\n" + "\n".join(lines) + "\n```"

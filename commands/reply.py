"""The reply object every command returns, and its plain-text rendering for the console.

Commands are pure functions ``(context, options) -> Reply``; the console and Discord only
render. ``data`` is the structured result printed by ``--json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
        """A console rendering: title, description, fields, footer."""
        parts = [self.note] if self.note else []
        parts.append(self.title + (" [stale]" if self.stale else ""))
        if self.description:
            parts.append(_strip_code_fences(self.description))
        for f in self.fields:
            value = _strip_code_fences(f.value)
            sep = "\n" if "\n" in value else " "
            parts.append(f"{f.name}:{sep}{value}")
        if self.caption:
            parts.append(self.caption)
        if self.footer:
            parts.append(self.footer)
        return "\n".join(parts)


def _strip_code_fences(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("```"))


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

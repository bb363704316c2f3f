"""How numbers and text are written for people, shared by charts and command replies.

Metrics already write words people read (a chart's title and footnote), charts draw them
and commands reply with them, so these live with the lowest layer that writes them
(commands may import analytics, never the reverse): one spelling of a percentage and one
way to cut a text that is too long, everywhere.
"""

from __future__ import annotations

#: Room kept at the end of a cut multi-line text for the "…N more lines" line.
_MORE_ROOM = 40


def pct(value: float | None, digits: int = 2) -> str:
    """``+42.83%`` / ``-10.31%`` / ``n/a`` (no value is never shown as zero)."""
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}%"


def clip(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, saying that something was left out.

    One line is cut with ``…``. Several lines are cut at a line break where possible,
    keeping code fences balanced, and end with ``…N more lines``.
    """
    if len(text) <= limit:
        return text
    if "\n" not in text or limit <= 2 * _MORE_ROOM:
        return text[: limit - 1] + "…"
    fenced = text.count("```") % 2 == 0 and "```" in text
    cut = text[: limit - _MORE_ROOM]
    if "\n" in cut:
        cut = cut[: cut.rfind("\n")]
    hidden = text[len(cut) :].count("\n") or 1
    if fenced and cut.count("```") % 2 == 1:
        cut += "\n```"
    return f"{cut}\n…{hidden} more line{'s' if hidden != 1 else ''}"

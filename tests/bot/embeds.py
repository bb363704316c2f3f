"""Reading one value out of an embed the bot sent: a field by name, or a row of a table.

End-to-end checks look where the number belongs, so a number that moved to the wrong field
(or a title that happens to contain it) fails the test.
"""

from __future__ import annotations

from typing import Any


def field(embed: dict[str, Any], name: str) -> str:
    """The value of the field called ``name`` (exactly one must exist)."""
    (value,) = [f["value"] for f in embed.get("fields", []) if f["name"] == name]
    return value


def table_row(text: str, first: str) -> list[str]:
    """The cells of the row of a code-block table in ``text`` whose first cell is ``first``."""
    inside, rows = False, []
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        cells = line.split()
        if inside and cells and cells[0] == first:
            rows.append(cells)
    (row,) = rows
    return row

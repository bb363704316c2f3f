"""What a question is about: a :class:`Target` (a label and its member symbols) and the preset
baskets every server has.

Metrics take a resolved Target; turning what a person typed into one (a preset, a server's
basket, a list of symbols) is the server store's job (:mod:`analytics.server.baskets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PRESETS: dict[str, tuple[str, ...]] = {
    # Societe Generale's "7 titans", Hong Kong lines: Alibaba, Tencent, Xiaomi, BYD, SMIC,
    # JD.com, NetEase.
    "china-titans": ("9988.HK", "0700.HK", "1810.HK", "1211.HK", "0981.HK", "9618.HK", "9999.HK"),
    "mag7": ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA"),
}
PRESET_TITLES = {"china-titans": "China tech titans", "mag7": "Magnificent Seven"}


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved target: its display label and member symbols."""

    label: str
    symbols: tuple[str, ...]
    kind: Literal["preset", "server", "symbols"]
    name: str | None = None

    @property
    def title(self) -> str:
        if self.kind == "preset" and self.name in PRESET_TITLES:
            return f"{PRESET_TITLES[self.name]} ({self.name})"
        return self.label

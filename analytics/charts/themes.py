"""Chart themes: the colours of each background, and which line gets which colour.

Kept apart from :mod:`analytics.charts.figures` so that commands can list and check theme
names without importing matplotlib (the bot draws in worker processes; its own process
never needs matplotlib).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Theme:
    """Colours of one theme; the two families must read on its background."""

    name: str
    background: str
    text: str
    muted: str
    grid: str
    warning: str
    target_members: tuple[str, ...]
    vs_members: tuple[str, ...]
    target_headline: str
    vs_headline: str


# Member palettes: a warm family for the target, a cool one for ``vs``, per background.
WARM_ON_DARK = tuple("#ff8a80 #ffb74d #ffe082 #f48fb1 #ff7043 #e57373 #ffcc80".split())
COOL_ON_DARK = tuple("#81d4fa #4dd0e1 #80cbc4 #9fa8da #64b5f6 #4db6ac #b3e5fc".split())
WARM_ON_LIGHT = tuple("#e53935 #fb8c00 #c79100 #d81b60 #bf360c #ef6c00 #ad1457".split())
COOL_ON_LIGHT = tuple("#1e88e5 #00897b #3949ab #0097a7 #1565c0 #00695c #5c6bc0".split())

THEMES: dict[str, Theme] = {
    # Discord's dark theme message background is #313338.
    "dark": Theme(
        "dark", "#313338", "#f2f3f5", "#b5bac1", "#44464d", "#f0b232",
        WARM_ON_DARK, COOL_ON_DARK, "#ff5722", "#29b6f6",
    ),
    "light": Theme(
        "light", "#ffffff", "#1e1f22", "#5c5e66", "#e3e5e8", "#b26a00",
        WARM_ON_LIGHT, COOL_ON_LIGHT, "#d84315", "#0d47a1",
    ),
}  # fmt: skip
THEME_NAMES = tuple(THEMES)


def theme_of(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; use one of {', '.join(THEMES)}") from None


def line_colour(theme: Theme, group: str, index: int, headline: bool) -> str:
    """Warm family for the target, cool family for ``vs``; headlines get the strongest."""
    if headline:
        return theme.target_headline if group == "target" else theme.vs_headline
    family = theme.target_members if group == "target" else theme.vs_members
    return family[index % len(family)]

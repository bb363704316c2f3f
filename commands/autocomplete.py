"""What an option's autocomplete offers as the user types.

Discord asks on every keystroke; the bot (:meth:`bot.runner.Runner.complete`) only bounds the
time and turns these suggestions into choices, so the logic lives here beside the other
command logic and is tested without Discord. A target or symbol may be a comma list: the
last item is completed and the items before it are kept (``AAPL, tenc`` offers the value
``AAPL,0700.HK``); presets and basket names are offered for a first item only.
"""

from __future__ import annotations

from typing import NamedTuple

from analytics.data.listings import choice_label
from analytics.data.names import AUTOCOMPLETE_WAIT
from analytics.data.sources.base import Listing
from analytics.metrics.targets import PRESETS
from analytics.server.schedule import zone_names
from analytics.services import Services
from commands.spec import Autocomplete

#: Discord shows at most 25 choices, and refuses a name or value over 100 characters.
MAX_SUGGESTIONS = 25
MAX_CHARS = 100


class Suggestion(NamedTuple):
    """One choice: ``label`` is shown, ``value`` is what the option receives. A pair (not a
    dataclass) because that is what callers take apart: Discord's choice, the bench."""

    label: str
    value: str


def split_last(text: str) -> tuple[str, str]:
    """``("AAPL,MSFT,", "tenc")`` for ``"AAPL, MSFT, tenc"``: the items before the last,
    normalized to ``X,`` each (empty ones dropped), and the item being typed."""
    *before, last = [part.strip() for part in text.split(",")]
    return "".join(f"{part}," for part in before if part), last


def suggest(
    services: Services,
    guild_id: int,
    kind: Autocomplete,
    current: str,
    wait: float = AUTOCOMPLETE_WAIT,
) -> list[Suggestion]:
    """Suggestions for an option: presets and this server's baskets (``target``,
    ``basket``), then symbols in the cache and preset members, then listings by name or
    ticker (``tenc`` offers ``0700.HK · Tencent Holdings · Hong Kong``, value ``0700.HK``);
    time zones by any part of their name. A name search waits at most ``wait`` seconds (it
    goes on in the background and caches its answer for the next keystroke)."""
    text = (current or "").strip()
    if kind == "timezone":
        low = text.lower()
        zones = sorted(z for z in zone_names().values() if low in z.lower())
        return [Suggestion(z, z) for z in zones[:MAX_SUGGESTIONS]]
    head, last = split_last(text)
    out: dict[str, str] = {}  # value -> label, in the order offered; a value once
    if kind in ("target", "basket") and not head:
        baskets = services.baskets.names(guild_id)
        pool = [*PRESETS, *baskets] if kind == "target" else [*baskets, *PRESETS]
        out |= {n: n for n in pool if n.startswith(last.lower())}
    if kind in ("target", "symbol"):
        shown_head = head.replace(",", ", ")
        for listing in _listings(services, last, wait):
            value = (head + listing.symbol)[:MAX_CHARS]
            out.setdefault(value, f"{shown_head}{choice_label(listing)}"[:MAX_CHARS])
    return [Suggestion(label, value) for value, label in list(out.items())[:MAX_SUGGESTIONS]]


def _listings(services: Services, typed: str, wait: float) -> list[Listing]:
    """Symbols with cached bars and preset members starting with ``typed`` (with the names
    the cache knows), then, while there is room, the name search's listings."""
    prefix = typed.upper()
    cached = services.cache.known_symbols(prefix, limit=MAX_SUGGESTIONS)
    preset = sorted({s for members in PRESETS.values() for s in members if s.startswith(prefix)})
    symbols = [*cached, *preset]
    known = services.names.store.many(symbols)
    found = [known.get(s) or Listing(s) for s in symbols]
    if typed and len(found) < MAX_SUGGESTIONS:
        found += services.names.suggest(typed, limit=MAX_SUGGESTIONS, wait=wait)
    return found

"""What a person typed for a target or a symbol, as symbols: a basket first, then a valid
symbol that exists, then a company name (``tencent,alibaba,xiaomi``).

"Exists" costs nothing extra: a symbol the market cache has prices for exists, and one the
source already said it does not know is read as a name. A valid symbol the cache knows
nothing about is taken as a symbol and listed in ``unverified``: the question itself will
ask the source, and if the source then says it does not exist the command is run again
with that part read as a name (``commands.registry.execute``). So ``/returns target:AAPL``
costs exactly what it did before names existed, and ``target:tencent`` one chart request
more, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analytics.data.names import NameMatch, NameResolver, NoSuchName
from analytics.data.symbols import MAX_SYMBOLS, SYMBOL_RE
from analytics.errors import UserInputError
from analytics.metrics.targets import PRESETS, Target
from analytics.server.baskets import NAME_RE, BasketStore


@dataclass(slots=True)
class Resolved:
    """Symbols of what was typed, the names among it, and symbols taken on trust."""

    symbols: list[str] = field(default_factory=list)
    names: list[NameMatch] = field(default_factory=list)
    #: (as typed, symbol) of valid symbols the cache knows nothing about yet.
    unverified: list[tuple[str, str]] = field(default_factory=list)


def _as_symbol(part: str) -> str | None:
    upper = part.upper()
    # Check the text as typed: str.upper() maps some non-ASCII letters to ASCII ("ß" -> "SS").
    return upper if part.isascii() and SYMBOL_RE.fullmatch(upper) else None


def resolve_parts(
    text: str, names: NameResolver, as_names: Mapping[str, NameMatch] | None = None
) -> Resolved:
    """Comma-separated symbols and names -> unique symbols in order (at most 25).

    ``as_names`` maps symbols found not to exist to what their text means as a name.
    """
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise UserInputError("Empty target. Give a basket name, symbols or company names.")
    if len(parts) > MAX_SYMBOLS:
        raise UserInputError(
            f"{len(parts)} symbols given; at most {MAX_SYMBOLS} are accepted in one question."
        )
    as_names = as_names or {}
    shaped = [s for s in (_as_symbol(p) for p in parts) if s]
    known = names.store.existence(shaped)
    out = Resolved()
    for part in parts:
        symbol = _as_symbol(part)
        if symbol is not None and symbol in as_names:
            match = as_names[symbol]
        elif symbol is not None and known.get(symbol) is not False:
            out.symbols.append(symbol)
            if known.get(symbol) is None:
                out.unverified.append((part, symbol))
            continue
        elif symbol is not None:
            # The source said there is no such symbol: the text may be a name.
            match = names.find_or_none(part)
            if match is None:
                out.symbols.append(symbol)  # refused as an unknown symbol, as before
                continue
        else:
            match = names.resolve(part)
        out.names.append(match)
        out.symbols.append(match.symbol)
    out.symbols = list(dict.fromkeys(out.symbols))
    if len(out.symbols) > MAX_SYMBOLS:
        raise UserInputError(
            f"Those names and symbols make {len(out.symbols)} listings; "
            f"at most {MAX_SYMBOLS} are accepted in one question."
        )
    return out


def resolve_target(
    text: str,
    guild_id: int,
    baskets: BasketStore,
    names: NameResolver,
    as_names: Mapping[str, NameMatch] | None = None,
) -> tuple[Target, Resolved]:
    """A ``target``/``vs``/``left``/``right`` option: a basket, or symbols and names."""
    raw = (text or "").strip()
    if not raw:
        raise UserInputError(
            "Empty target: give a basket (e.g. mag7, china-titans), symbols like AAPL,MSFT "
            "or company names like tencent,alibaba."
        )
    if "," not in raw:
        lowered = raw.lower()
        if lowered in PRESETS:
            return Target(lowered, PRESETS[lowered], "preset", lowered), Resolved()
        basket = baskets.get(guild_id, lowered) if NAME_RE.match(lowered) else None
        if basket:
            return Target(basket.name, basket.members, "server", basket.name), Resolved()
    try:
        resolved = resolve_parts(raw, names, as_names)
    except NoSuchName:
        if "," not in raw and NAME_RE.match(raw.lower()):
            raise baskets.unknown(guild_id, raw.lower()) from None  # a mistyped basket?
        raise
    symbols = tuple(resolved.symbols)
    return Target(",".join(symbols), symbols, "symbols"), resolved

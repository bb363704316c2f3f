"""Symbols: validation, parsing of comma lists, and the currency a symbol is quoted in."""

from __future__ import annotations

import re

from analytics.errors import UserInputError

#: What a Yahoo symbol may contain. Anything else is refused before it reaches a source,
#: a file name or SQL (which only ever sees it as a parameter anyway).
SYMBOL_RE = re.compile(r"^[A-Z0-9.^=\-]{1,20}$")
MAX_SYMBOLS = 25

#: Suffix -> quote currency, for symbols without metadata. ``GBp`` is pence.
_SUFFIX_CURRENCY = {
    "HK": "HKD",
    "SS": "CNY",
    "SZ": "CNY",
    "T": "JPY",
    "L": "GBp",
    "TO": "CAD",
    "AX": "AUD",
    "DE": "EUR",
    "PA": "EUR",
    "AS": "EUR",
    "SW": "CHF",
    "KS": "KRW",
    "TW": "TWD",
    "SI": "SGD",
}
#: Index symbols whose level is in a currency other than USD.
_INDEX_CURRENCY = {
    "^HSI": "HKD",
    "^HSCE": "HKD",
    "^HSTECH": "HKD",
    "^N225": "JPY",
    "^FTSE": "GBP",
    "^GDAXI": "EUR",
    "^STOXX50E": "EUR",
    "000001.SS": "CNY",
}


def _printable(text: str, limit: int = 24) -> str:
    """A short, inert rendering of user text for an error message (no mentions, no markup)."""
    shown = "".join(ch if ch.isalnum() or ch in ".^=-_" else "?" for ch in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def normalize_symbol(text: str) -> str:
    """Upper-case and validate one symbol, or raise a :class:`UserInputError`."""
    raw = text.strip()
    symbol = raw.upper()
    if not symbol:
        raise UserInputError("Empty symbol. Give a Yahoo symbol such as AAPL or 0700.HK.")
    # Check the text as typed: str.upper() maps some non-ASCII letters to ASCII ("ß" ->
    # "SS", "ı" -> "I"), which would turn a refused character into another symbol.
    if not raw.isascii() or not SYMBOL_RE.fullmatch(symbol):
        raise UserInputError(
            f"'{_printable(text.strip())}' is not a valid symbol: use 1-20 of A-Z 0-9 . ^ = - "
            "(for example AAPL, 0700.HK, ^HSI, HKD=X)."
        )
    return symbol


def parse_symbol_list(text: str) -> list[str]:
    """Parse ``"AAPL, msft,0700.HK"`` into unique symbols in order (at most 25)."""
    parts = [p for p in (s.strip() for s in text.split(",")) if p]
    if not parts:
        raise UserInputError("Empty target. Give a basket name or comma-separated symbols.")
    if len(parts) > MAX_SYMBOLS:
        raise UserInputError(
            f"{len(parts)} symbols given; at most {MAX_SYMBOLS} are accepted in one question."
        )
    seen: dict[str, None] = {}
    for part in parts:
        seen.setdefault(normalize_symbol(part), None)
    return list(seen)


def currency_from_suffix(symbol: str) -> str:
    """The quote currency implied by a Yahoo symbol when no metadata says otherwise.

    ``.HK`` HKD, ``.SS``/``.SZ`` CNY, ``.T`` JPY, ``.L`` GBp (pence), no suffix USD; FX pairs
    ``XXX=X`` are quoted in XXX per USD; known indices (``^HSI``) in their market's currency.
    """
    if symbol in _INDEX_CURRENCY:
        return _INDEX_CURRENCY[symbol]
    if symbol.endswith("=X"):
        return symbol[:-2][-3:] if len(symbol) >= 5 else "USD"
    if "." in symbol:
        return _SUFFIX_CURRENCY.get(symbol.rsplit(".", 1)[1], "USD")
    return "USD"


def fx_symbol(currency: str) -> str | None:
    """Yahoo's symbol for units of ``currency`` per 1 USD, or None for USD itself."""
    cur = currency.upper()
    if cur == "USD":
        return None
    return f"{cur}=X"

"""Names wherever a symbol goes, for every command: resolving options, the one retry when a
part taken as a symbol turns out to be a name, and saying what each name became.

``resolve`` / ``resolve_symbol`` / ``resolve_members`` record on the :class:`Context` the
names they resolved and the symbols they took on trust (valid, but unknown to the cache);
``commands.registry.execute`` asks :func:`misread` after the handler ran, and runs it once
more with those parts read as names when the source said they do not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from analytics.data.listings import short_name
from analytics.data.names import NameMatch
from analytics.data.symbols import _printable
from analytics.errors import MarketbotError, UserInputError
from analytics.metrics.targets import Target
from analytics.server.resolve import Resolved, resolve_parts, resolve_target
from commands.reply import Reply
from commands.spec import Context


def _record(ctx: Context, resolved: Resolved) -> None:
    ctx.names.extend(m for m in resolved.names if m not in ctx.names)
    ctx.unverified.extend(u for u in resolved.unverified if u not in ctx.unverified)


def resolve(ctx: Context, text: str) -> Target:
    """A target option: a basket, else symbols and company names."""
    services = ctx.services
    target, resolved = resolve_target(
        text, ctx.guild_id, services.baskets, services.names, ctx.as_names
    )
    _record(ctx, resolved)
    return target


def resolve_members(ctx: Context, text: str) -> list[str]:
    """A members option: symbols and company names, never a basket."""
    resolved = resolve_parts(text, ctx.services.names, ctx.as_names)
    _record(ctx, resolved)
    return resolved.symbols


def resolve_symbol(ctx: Context, text: str) -> str:
    """A symbol option: one symbol or one company name."""
    if "," in text:
        raise UserInputError(
            f"'{_printable(text.strip(), 32)}' is not a valid symbol: give one symbol or "
            "company name here, without commas."
        )
    return resolve_members(ctx, text)[0]


def misread(ctx: Context) -> dict[str, NameMatch]:
    """Symbols taken on trust that the source has since said do not exist, as the names
    their text means (only those that are names); raises if such a name is ambiguous."""
    if not ctx.unverified:
        return {}
    names = ctx.services.names
    known = names.store.existence([symbol for _, symbol in ctx.unverified])
    out: dict[str, NameMatch] = {}
    for typed, symbol in ctx.unverified:
        if known.get(symbol) is False and symbol not in out:
            match = names.find_or_none(typed)
            if match is not None:
                out[symbol] = match
    return out


def say_names(reply: Reply, matches: Iterable[NameMatch]) -> None:
    """One line at the top of the reply with what each name became; and in ``data``."""
    matches = list(dict.fromkeys(matches))
    if not matches or reply.exit_code:
        return
    line = "; ".join(m.line() for m in matches)
    reply.description = f"{line}\n{reply.description}" if reply.description else line
    if isinstance(reply.data, dict):
        reply.data["names"] = [m.to_json() for m in matches]


def labels(ctx: Context, symbols: Iterable[str]) -> dict[str, str]:
    """``{"0700.HK": "Tencent"}`` for the symbols whose name the market cache knows."""
    known = ctx.services.names.store.many(list(symbols))
    return {s: n for s, item in known.items() if (n := short_name(item))}


def rerun_reason(ctx: Context) -> Reply | dict[str, NameMatch]:
    """:func:`misread`, with an ambiguous name turned into its refusal."""
    try:
        return misread(ctx)
    except MarketbotError as exc:
        return Reply.error(str(exc), exc.exit_code)


def reset(ctx: Context, as_names: Mapping[str, NameMatch]) -> None:
    ctx.names.clear()
    ctx.unverified.clear()
    ctx.as_names = dict(as_names)

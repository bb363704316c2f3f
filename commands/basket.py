"""/basket create|add|remove|delete|show|list: per-server custom baskets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analytics.data.listings import display_name
from analytics.data.series import ProblemKind
from analytics.data.symbols import SYMBOL_RE
from analytics.errors import UserInputError
from analytics.metrics.loading import recent_closes
from analytics.metrics.targets import PRESETS
from analytics.server.baskets import (
    Basket,
    check_member_count,
    refuse_preset,
    validate_name,
)
from commands.names import resolve_members
from commands.reply import Field, Reply, table
from commands.spec import CommandSpec, Context, GroupSpec, Option

NAME = Option(
    "name", "Basket name: 1-32 of a-z 0-9 -", required=True, autocomplete="basket", max_length=32
)
MEMBERS = Option(
    "members",
    "Comma-separated symbols or company names, e.g. AAPL,0700.HK or tencent,alibaba",
    required=True,
    max_length=600,
)


def _check_exist(ctx: Context, symbols: list[str], name: str | None = None) -> str:
    """Refuse symbols the source says do not exist (a source outage is not a refusal), and a
    new basket name that is also a symbol: the basket would hide that symbol on this server
    (``target:AAPL`` would mean the basket)."""
    as_symbol = name.upper() if name and SYMBOL_RE.match(name.upper()) else None
    asked = tuple(dict.fromkeys([*symbols, *([as_symbol] if as_symbol else [])]))
    history = recent_closes(ctx.services.market, asked)
    if as_symbol and as_symbol not in history.unknown:
        if as_symbol in history.series or as_symbol in history.empty:
            raise UserInputError(
                f"'{name}' is also the symbol {as_symbol}; a basket of that name would hide it. "
                "Pick another name. Nothing was changed."
            )
    history.problems.pop(as_symbol or "", None)
    unknown = history.unknown
    if unknown:
        raise UserInputError(
            f"Unknown symbol{'s' if len(unknown) > 1 else ''}: "
            f"{', '.join(unknown)}. Nothing was changed."
        )
    failed = history.of_kind(ProblemKind.UNAVAILABLE)
    return f"Could not verify {', '.join(failed)} (data source unavailable)." if failed else ""


def _named_members(ctx: Context, members: Sequence[str]) -> tuple[str, dict[str, str]]:
    """``0700.HK (Tencent Holdings), AAPL (Apple)``: names the market cache knows, beside
    the symbols (a basket stores symbols only)."""
    known = ctx.services.names.store.many(list(members))
    names = {s: n for s in members if (n := display_name(getattr(known.get(s), "name", None)))}
    text = ", ".join(f"{s} ({names[s]})" if s in names else s for s in members)
    return text, names


def _basket_reply(ctx: Context, title: str, basket: Basket, note: str = "") -> Reply:
    text, names = _named_members(ctx, basket.members)
    return Reply(
        title=title,
        description=text,
        fields=[Field("Members", str(len(basket.members)))]
        + ([Field("Note", note, False)] if note else []),
        tone="info",
        data={
            "command": "basket",
            "guild_id": basket.guild_id,
            "name": basket.name,
            "members": list(basket.members),
            "names": names,
        },
    )


def _to_remove(ctx: Context, text: str, members: Sequence[str]) -> set[str]:
    """Members to remove, by symbol or by name (a name is looked up only when its text is
    not a member's symbol)."""
    out: set[str] = set()
    names = ctx.services.names
    for part in (p.strip() for p in text.split(",")):
        upper = part.upper()
        if not part:
            continue
        if upper in members or (part.isascii() and SYMBOL_RE.fullmatch(upper)):
            match = None if upper in members else names.find_or_none(part)
            if match is None or match.symbol not in members:
                out.add(upper)
                continue
            ctx.names.append(match)
            out.add(match.symbol)
            continue
        out.update(resolve_members(ctx, part))
    return out


def run_create(ctx: Context, options: dict[str, Any]) -> Reply:
    name = validate_name(options["name"])
    members = resolve_members(ctx, options["members"])
    if ctx.services.baskets.get(ctx.guild_id, name):
        raise UserInputError(
            f"A basket named '{name}' already exists on this server; use /basket add."
        )
    note = _check_exist(ctx, members, name)
    basket = ctx.services.baskets.create(ctx.guild_id, name, members, ctx.user_id, ctx.clock())
    return _basket_reply(ctx, f"Created basket {basket.name}", basket, note)


def run_add(ctx: Context, options: dict[str, Any]) -> Reply:
    store = ctx.services.baskets
    name = options["name"].strip().lower()
    refuse_preset(name)
    adding = resolve_members(ctx, options["members"])
    current = store.get(ctx.guild_id, name)
    if current is None:
        raise store.unknown(ctx.guild_id, name)
    check_member_count(list(dict.fromkeys([*current.members, *adding])))
    note = _check_exist(ctx, adding)

    def change(old: list[str]) -> list[str]:
        merged = list(dict.fromkeys([*old, *adding]))
        check_member_count(merged)
        return merged

    basket = store.update_members(ctx.guild_id, name, change, ctx.clock())
    return _basket_reply(ctx, f"Updated basket {basket.name}", basket, note)


def run_remove(ctx: Context, options: dict[str, Any]) -> Reply:
    store = ctx.services.baskets
    name = options["name"].strip().lower()
    current = store.get(ctx.guild_id, name)
    removing = _to_remove(ctx, options["members"], current.members if current else ())

    def change(old: list[str]) -> list[str]:
        missing = removing - set(old)
        if missing:
            raise UserInputError(
                f"Not in {name}: {', '.join(sorted(missing))}. Nothing was changed."
            )
        left = [s for s in old if s not in removing]
        if not left:
            raise UserInputError(f"That would leave {name} empty; use /basket delete instead.")
        return left

    basket = store.update_members(ctx.guild_id, name, change, ctx.clock())
    return _basket_reply(ctx, f"Updated basket {basket.name}", basket)


def run_delete(ctx: Context, options: dict[str, Any]) -> Reply:
    name = options["name"].strip().lower()
    ctx.services.baskets.delete(ctx.guild_id, name)
    return Reply(
        title=f"Deleted basket {name}", tone="info", data={"command": "basket", "deleted": name}
    )


def run_show(ctx: Context, options: dict[str, Any]) -> Reply:
    name = options["name"].strip().lower()
    if name in PRESETS:
        members = PRESETS[name]
        text, names = _named_members(ctx, members)
        return Reply(
            title=f"Preset basket {name}",
            description=text,
            tone="info",
            data={
                "command": "basket",
                "name": name,
                "members": list(members),
                "names": names,
                "preset": True,
            },
        )
    basket = ctx.services.baskets.get(ctx.guild_id, name)
    if basket is None:
        raise ctx.services.baskets.unknown(ctx.guild_id, name)
    reply = _basket_reply(ctx, f"Basket {basket.name}", basket)
    reply.fields.append(Field("Updated", basket.updated_at[:16].replace("T", " ") + " UTC"))
    return reply


#: Room for a basket's members in /basket list's table: a wider row wraps in Discord's
#: embed and breaks the table's columns.
LIST_WIDTH = 60


def members_cell(members: Sequence[str], width: int = LIST_WIDTH) -> str:
    """``0700.HK, 9988.HK, +3 more``: the members in at most ``width`` characters, cut at a
    comma (a symbol cut in half, ``9999.H``, reads as another symbol) and saying how many
    were left out. The first member is always shown."""
    text = ", ".join(members)
    if len(text) <= width:
        return text
    for shown in range(len(members) - 1, 0, -1):
        cut = ", ".join(members[:shown]) + f", +{len(members) - shown} more"
        if len(cut) <= width or shown == 1:
            return cut
    return text  # a single member is shown whole


def run_list(ctx: Context, options: dict[str, Any]) -> Reply:
    mine = ctx.services.baskets.list(ctx.guild_id)
    rows = [["Name", "Members"]]
    rows += [[n, members_cell(m)] for n, m in PRESETS.items()]
    rows += [[b.name, members_cell(b.members)] for b in mine]
    return Reply(
        title="Baskets",
        description=table(rows, "ll"),
        fields=[Field("Presets", str(len(PRESETS))), Field("This server", str(len(mine)))],
        tone="info",
        data={
            "command": "basket",
            "presets": {k: list(v) for k, v in PRESETS.items()},
            "baskets": {b.name: list(b.members) for b in mine},
        },
    )


BASKET = GroupSpec(
    "basket",
    "This server's custom baskets",
    subcommands=(
        CommandSpec(
            "create",
            "Create a basket (Manage Server)",
            run_create,
            (NAME, MEMBERS),
            "/basket create name:china-adr members:BABA,JD,PDD",
            admin=True,
        ),
        CommandSpec(
            "add",
            "Add symbols to a basket (Manage Server)",
            run_add,
            (NAME, MEMBERS),
            "/basket add name:china-adr members:BIDU",
            admin=True,
        ),
        CommandSpec(
            "remove",
            "Remove symbols from a basket (Manage Server)",
            run_remove,
            (NAME, MEMBERS),
            "/basket remove name:china-adr members:BIDU",
            admin=True,
        ),
        CommandSpec(
            "delete",
            "Delete a basket (Manage Server)",
            run_delete,
            (NAME,),
            "/basket delete name:china-adr",
            admin=True,
        ),
        CommandSpec("show", "Show a basket's members", run_show, (NAME,), "/basket show name:mag7"),
        CommandSpec("list", "List presets and this server's baskets", run_list, (), "/basket list"),
    ),
)

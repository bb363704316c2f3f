"""/summary subscribe|list|unsubscribe|preview|send: weekly summaries a server subscribes to.

The handlers only read and write the subscription store; posting belongs to the
scheduler (:mod:`bot.scheduler`), which every change wakes through the store's listeners.
``/summary send`` therefore queues an immediate post in the ledger, and the scheduler posts
it exactly like a weekly one (same retries, same record). Without a running bot (the
console) there is nobody to post, and ``send`` says so. :func:`build_summary_reply` is the
one rendering of a summary, shared by ``preview`` and the scheduler.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics.errors import UserInputError
from analytics.metrics.summary import WeeklySummary, compute_summary
from analytics.metrics.targets import PRESETS, Target
from analytics.metrics.text import clip, pct
from analytics.server.schedule import (
    WEEKDAYS,
    WeeklyRule,
    check_time,
    check_timezone,
    local_text,
    next_slot,
    parse_time,
    parse_timezone,
    utc_text,
)
from analytics.server.subscriptions import MAX_BASKETS, PostRecord, Subscription
from analytics.services import Services
from commands.reply import Field, Reply, footer, notes_field, pts, table, tone_of
from commands.spec import CommandSpec, Context, GroupSpec, Option

DEFAULT_BASKETS = ("china-titans", "mag7")
DEFAULT_DAY, DEFAULT_TIME, DEFAULT_TZ = "friday", "18:00", "America/New_York"
IMAGE_NAME = "summary.png"

BASKETS = Option(
    "baskets",
    f"Up to {MAX_BASKETS} baskets, comma-separated (default china-titans,mag7)",
    autocomplete="basket",
    max_length=200,
)
SUB_ID = Option("id", "Subscription number (see /summary list)", "integer", True, min_value=1)


# -- baskets -------------------------------------------------------------------------------
def parse_baskets(services: Services, guild_id: int, text: str | None) -> list[Target]:
    """Presets or this server's baskets, at most four, duplicates dropped."""
    names = [n.strip().lower() for n in (text or ",".join(DEFAULT_BASKETS)).split(",")]
    names = list(dict.fromkeys(n for n in names if n))
    if not names:
        raise UserInputError("baskets: give at least one basket, e.g. china-titans,mag7.")
    if len(names) > MAX_BASKETS:
        raise UserInputError(f"baskets: at most {MAX_BASKETS} baskets, got {len(names)}.")
    targets = []
    for name in names:
        if name in PRESETS:
            targets.append(Target(name, PRESETS[name], "preset", name))
            continue
        basket = services.baskets.get(guild_id, name) if len(name) <= 32 else None
        if basket is None:
            raise services.baskets.unknown(guild_id, name[:32])
        targets.append(Target(basket.name, basket.members, "server", basket.name))
    return targets


# -- rendering -------------------------------------------------------------------------------
def summary_reply(summary: WeeklySummary, image: bytes | None = None) -> Reply:
    rows = [["Basket", "Week", "YTD", "Fwd P/E"]]
    for b in summary.baskets:
        pe = f"{b.forward_pe:.1f}" if b.forward_pe is not None else "n/a"
        rows.append([b.target.label, pct(b.week_pct), pct(b.ytd_pct), pe])
    lines = [f"As of the close of **{summary.as_of.isoformat()}**; the week is from "
             f"{summary.week_start.isoformat()}.", table(rows)]  # fmt: skip
    if len(summary.baskets) >= 2:
        first, second = summary.labels[:2]
        lines.append(
            f"**Spread** {first} − {second}: week {pts(summary.week_spread)} · "
            f"YTD {pts(summary.ytd_spread)}"
        )
    if summary.stale:
        lines.append("⚠️ **Stale**: " + "; ".join(summary.stale_reasons) + ".")
    fields = []
    for b in summary.baskets:
        parts = []
        if b.best is not None and b.worst is not None:
            parts.append(
                f"Best {b.best.symbol} {pct(b.best.return_pct)} · "
                f"worst {b.worst.symbol} {pct(b.worst.return_pct)}"
            )
        if b.problem:
            parts.append(b.problem)
        excluded = [e.symbol for r in (b.week, b.ytd) if r for e in r.excluded]
        if excluded:
            parts.append("Left out: " + ", ".join(dict.fromkeys(excluded)))
        parts.append(b.valuation_note)
        fields.append(Field(f"{b.target.title} — the week", clip("\n".join(parts), 1000), False))
    fields.extend(notes_field(summary.notes))
    footer_text = footer(
        summary.source,
        "price return, local currencies, equal-weighted",
        f"as of {summary.as_of.isoformat()}",
        "STALE" if summary.stale else None,
    )
    reply = Reply(
        title="Weekly summary: " + " vs ".join(summary.labels),
        description="\n".join(lines),
        fields=fields,
        tone=tone_of(summary.baskets[0].week_pct),
        footer=footer_text,
        data=summary.to_json(),
        stale=summary.stale,
    )
    if image is not None:
        reply.image, reply.image_name = image, IMAGE_NAME
        reply.caption = "Year-to-date race; the shaded band is the week"
    return reply


def build_summary_reply(
    services: Services,
    guild_id: int,
    baskets: str | list[str] | tuple[str, ...] | None,
    *,
    want_image: bool = True,
    as_of: date | None = None,
) -> Reply:
    """Compute and render a summary (a worker-thread job: it may fetch prices)."""
    text = ",".join(baskets) if isinstance(baskets, list | tuple) else baskets
    targets = parse_baskets(services, guild_id, text)
    summary = compute_summary(
        services.market, targets, as_of=as_of, fundamentals=services.fundamentals
    )
    return summary_reply(summary, services.charts.summary_png(summary) if want_image else None)


def _next_run_text(sub: Subscription, ctx: Context) -> tuple[str, str]:
    when = next_slot(sub.rule, max(ctx.clock(), sub.active_since))
    return local_text(when, sub.rule.timezone), utc_text(when)


def _last_text(post: PostRecord | None, tz: str) -> str:
    if post is None:
        return "Last: nothing posted yet"
    what = f"Last: {post.status} ({post.kind}) for {local_text(post.slot, tz)}"
    return what + (f" — {post.error}" if post.error and post.status != "posted" else "")


# -- handlers --------------------------------------------------------------------------------
def _need_server(ctx: Context) -> None:
    if ctx.guild_id < 0:
        raise UserInputError("Weekly summaries post to a server's channel; use this in a server.")


def run_subscribe(ctx: Context, options: dict[str, Any]) -> Reply:
    _need_server(ctx)
    targets = parse_baskets(ctx.services, ctx.guild_id, options.get("baskets"))
    hour, minute = parse_time(options.get("time", DEFAULT_TIME))
    rule = WeeklyRule(
        WEEKDAYS.index(options.get("day", DEFAULT_DAY)),
        hour,
        minute,
        parse_timezone(options.get("timezone", DEFAULT_TZ)),
    )
    store = ctx.services.subscriptions
    sub = store.add(
        ctx.guild_id, options["channel"], [t.label for t in targets], rule, ctx.user_id,
        ctx.clock(),
    )  # fmt: skip
    local, utc = _next_run_text(sub, ctx)
    fields = [
        Field("Channel", f"<#{sub.channel_id}>"),
        Field("Baskets", ", ".join(sub.baskets)),
        Field("Schedule", f"every {rule.label}", inline=False),
        Field("Next run", f"{local} ({utc})", inline=False),
    ]
    if not store.has_listeners:
        fields.append(Field("Note", "Saved. The running bot (marketbot run) posts it.", False))
    return Reply(
        title=f"Subscribed: weekly summary #{sub.id}",
        description=f"A summary of {' vs '.join(sub.baskets)} will be posted to "
        f"<#{sub.channel_id}> every {rule.label}.",
        fields=fields,
        tone="info",
        data={"command": "summary subscribe", "subscription": sub.to_json(),
              "next_run_local": local, "next_run_utc": utc},
    )  # fmt: skip


def run_list(ctx: Context, options: dict[str, Any]) -> Reply:
    store = ctx.services.subscriptions
    subs = store.list(ctx.guild_id)
    fields, data = [], []
    for sub in subs[:24]:
        last = store.last_post(sub.id)
        lines = [f"Posts to <#{sub.channel_id}> every {sub.rule.label}"]
        entry: dict[str, Any] = {**sub.to_json(), "last_post": last.to_json() if last else None}
        if sub.paused:
            lines.append(f"⏸️ Paused: {sub.paused_reason}")
            lines.append("Fix the channel, then /summary send to check it and resume.")
        else:
            local, utc = _next_run_text(sub, ctx)
            lines.append(f"Next: {local} · {utc}")
            entry.update(next_run_local=local, next_run_utc=utc)
            if sub.failed_weeks:
                lines.append(f"Failed weeks in a row: {sub.failed_weeks}")
        lines.append(_last_text(last, sub.rule.timezone))
        fields.append(Field(f"#{sub.id} · {' vs '.join(sub.baskets)}", "\n".join(lines), False))
        data.append(entry)
    return Reply(
        title="Weekly summaries on this server",
        description="" if subs else "None yet. /summary subscribe channel:#name adds one.",
        fields=fields,
        tone="info",
        data={"command": "summary list", "subscriptions": data},
    )


def run_unsubscribe(ctx: Context, options: dict[str, Any]) -> Reply:
    sub = ctx.services.subscriptions.remove(ctx.guild_id, int(options["id"]))
    return Reply(
        title=f"Unsubscribed: weekly summary #{sub.id}",
        description=f"No more summaries of {' vs '.join(sub.baskets)} in <#{sub.channel_id}>.",
        tone="info",
        data={"command": "summary unsubscribe", "removed": sub.to_json()},
    )


def run_preview(ctx: Context, options: dict[str, Any]) -> Reply:
    return build_summary_reply(
        ctx.services, ctx.guild_id, options.get("baskets"), want_image=ctx.want_image
    )


def run_send(ctx: Context, options: dict[str, Any]) -> Reply:
    store = ctx.services.subscriptions
    sub = store.owned(ctx.guild_id, int(options["id"]))
    if not store.has_listeners:
        raise UserInputError(
            "/summary send posts from the running bot, and none is running on this database: "
            "start it with `marketbot run`. /summary preview shows the summary here."
        )
    slot = store.request_manual(sub.id, ctx.clock())
    return Reply(
        title=f"Posting summary #{sub.id} now",
        description=f"The summary of {' vs '.join(sub.baskets)} is on its way to "
        f"<#{sub.channel_id}>; /summary list shows how it went.",
        tone="info",
        data={"command": "summary send", "subscription": sub.to_json(),
              "requested_at": slot.isoformat()},
    )  # fmt: skip


SUMMARY = GroupSpec(
    "summary",
    "Weekly basket summaries posted to a channel",
    subcommands=(
        CommandSpec(
            "subscribe",
            "Post a weekly summary to a channel (Manage Server)",
            run_subscribe,
            (
                Option("channel", "Channel to post in", "channel", required=True),
                BASKETS,
                Option("day", "Day of the week (default friday)", choices=WEEKDAYS),
                Option("time", "HH:MM, 24-hour (default 18:00)", max_length=5, check=check_time),
                Option(
                    "timezone",
                    "IANA time zone (default America/New_York)",
                    autocomplete="timezone",
                    max_length=64,
                    check=check_timezone,
                ),
            ),
            "/summary subscribe channel:#markets baskets:china-titans,mag7 day:friday "
            "time:18:00 timezone:America/New_York",
            admin=True,
        ),
        CommandSpec(
            "list",
            "This server's weekly summaries and their next runs",
            run_list,
            (),
            "/summary list",
        ),
        CommandSpec(
            "unsubscribe",
            "Stop a weekly summary (Manage Server)",
            run_unsubscribe,
            (SUB_ID,),
            "/summary unsubscribe id:1",
            admin=True,
        ),
        CommandSpec(
            "preview",
            "This week's summary now, only for you",
            run_preview,
            (BASKETS,),
            "/summary preview baskets:china-titans,mag7",
            ephemeral=True,
        ),
        CommandSpec(
            "send",
            "Post a subscription's summary now (Manage Server)",
            run_send,
            (SUB_ID,),
            "/summary send id:1",
            admin=True,
            ephemeral=True,
        ),
    ),
)

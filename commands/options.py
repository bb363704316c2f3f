"""Options shared by several commands, defined once."""

from __future__ import annotations

from typing import Any

from analytics.metrics.periods import PERIODS, Period, parse_date, parse_period
from commands.spec import Context, Option

PERIOD = Option("period", "Named period (default ytd); or use start:/end:", choices=PERIODS)
START = Option(
    "start", "Start date YYYY-MM-DD (instead of period:)", max_length=10, check=parse_date
)
END = Option(
    "end", "End date YYYY-MM-DD (default: the latest close)", max_length=10, check=parse_date
)
BASIS = Option(
    "basis",
    "price: Close (default); total: Adj Close, dividends included",
    choices=("price", "total"),
)
CURRENCY = Option(
    "currency",
    "local: each stock's own currency (default); usd: converted",
    choices=("local", "usd"),
)
PERIOD_OPTIONS = (PERIOD, START, END)


def target_option(name: str = "target", required: bool = True, what: str = "") -> Option:
    return Option(
        name,
        what
        or "Basket (mag7, china-titans, this server's), symbols or names: AAPL,0700.HK,tencent",
        required=required,
        autocomplete="target",
        max_length=400,
    )


def period_from(ctx: Context, options: dict[str, Any]) -> Period:
    return parse_period(
        options.get("period"),
        options.get("start"),
        options.get("end"),
        today=ctx.services.market.today(),
    )

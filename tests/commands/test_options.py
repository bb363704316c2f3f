"""commands.options: the period, basis, currency and target options several commands share,
checked the way both the console and Discord check them (``convert_options``)."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.errors import UserInputError
from analytics.metrics.periods import Period
from analytics.services import Services
from commands.options import BASIS, CURRENCY, PERIOD_OPTIONS, period_from, target_option
from commands.parse import convert_options
from commands.reply import Reply
from commands.spec import CommandSpec, Context

SPEC = CommandSpec(
    "probe",
    "takes the shared options",
    lambda ctx, options: Reply(title="ok"),
    (target_option(), *PERIOD_OPTIONS, BASIS, CURRENCY),
    example="/probe target:mag7",
)


def test_choices_are_lowered_and_dates_kept_as_typed() -> None:
    options = convert_options(
        SPEC, {"target": " mag7 ", "period": "YTD", "basis": "Total", "currency": "usd"}
    )
    assert options == {"target": "mag7", "period": "ytd", "basis": "total", "currency": "usd"}
    dated = convert_options(SPEC, {"target": "AAPL", "start": "2024-12-31", "end": "2025-03-07"})
    assert (dated["start"], dated["end"]) == ("2024-12-31", "2025-03-07")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"target": "mag7", "start": "2025-02-30"},
            "start: 2025-02-30 is not a real calendar date.",
        ),
        ({"target": "mag7", "end": "7 March"}, "end: '7?March' is not a date; use YYYY-MM-DD"),
        ({"target": "mag7", "period": "weekly"}, "period: 'weekly' is not accepted; use one of 1d"),
        (
            {"target": "mag7", "basis": "net"},
            "basis: 'net' is not accepted; use one of price, total.",
        ),
        ({"target": "x" * 401}, "target: at most 400 characters."),
        ({"period": "ytd"}, "/probe needs target: — e.g. /probe target:mag7"),
    ],
)
def test_bad_values_are_refused_with_one_clear_line(raw: dict, message: str) -> None:
    with pytest.raises(UserInputError) as refused:
        convert_options(SPEC, raw)
    assert str(refused.value).startswith(message), str(refused.value)


def test_target_option_completes_targets_and_may_be_optional() -> None:
    default = target_option()
    assert (default.name, default.required, default.autocomplete) == ("target", True, "target")
    other = target_option("vs", required=False, what="The basket to compare with")
    assert (other.name, other.required, other.description) == (
        "vs", False, "The basket to compare with",
    )  # fmt: skip


def test_period_from_checks_dates_against_the_services_today(services: Services) -> None:
    ctx = Context(services)  # the fixed clock: 2026-11-24
    assert period_from(ctx, {"period": "ytd"}) == Period(name="ytd")
    assert period_from(ctx, {"start": "2024-12-31", "end": "2025-03-07"}) == Period(
        start=date(2024, 12, 31), end=date(2025, 3, 7)
    )
    # 2026-11-25 has begun east of UTC+12 at 12:00 UTC; the 26th has not begun anywhere.
    assert period_from(ctx, {"end": "2026-11-25"}) == Period(end=date(2026, 11, 25))
    with pytest.raises(UserInputError, match="end: 2026-11-26 is in the future"):
        period_from(ctx, {"end": "2026-11-26"})
    with pytest.raises(UserInputError, match="Give either period: or start:, not both."):
        period_from(ctx, {"period": "1m", "start": "2025-01-02"})

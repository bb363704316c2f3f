"""/returns, /compare and /quote on the real shared CSVs, run exactly as typed in Discord.

Numbers are checked against the files read here with the csv module; the clock is fixed at
2026-11-24 (``services`` fixture), after the last bar of every file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from analytics.errors import SourceError
from analytics.metrics.targets import PRESETS
from analytics.services import Services
from commands.registry import run_text
from commands.reply import Reply
from commands.spec import Context
from tests.real_data import MARKET_DATA, MEMBER_KEYS, RETURNS_KEYS, on_or_before, rows


def closes(folder: Path, symbol: str) -> list[tuple[str, float]]:
    assert folder.resolve() == MARKET_DATA.resolve()  # the independent reader reads there
    return rows(symbol)


def ask(services: Services, text: str) -> Reply:
    """As the console runs it without --chart-out (charts are tested elsewhere)."""
    return run_text(text, Context(services, want_image=False))


def test_returns_json_is_the_contract(services: Services, market_data_dir: Path) -> None:
    reply = ask(services, "/returns target:mag7 start:2024-12-31 end:2025-03-07")
    assert reply.exit_code == 0
    data = reply.data
    assert RETURNS_KEYS <= set(data)
    assert (data["command"], data["target"], data["basis"], data["currency"]) == (
        "returns", "mag7", "price", "local",
    )  # fmt: skip
    assert [m["symbol"] for m in data["members"]] == list(PRESETS["mag7"])
    returns = []
    for member in data["members"]:
        assert set(member) == MEMBER_KEYS
        rows = closes(market_data_dir, member["symbol"])
        base_day, base = on_or_before(rows, "2024-12-31")
        end_day, end = on_or_before(rows, "2025-03-07")
        assert (member["base_date"], member["base_close"]) == (base_day, base)
        assert (member["end_date"], member["end_close"]) == (end_day, end)
        assert member["currency"] == "USD"
        assert member["return_pct"] == pytest.approx((end / base - 1) * 100, rel=1e-12)
        returns.append((end / base - 1) * 100)
    assert data["equal_weight_return_pct"] == pytest.approx(sum(returns) / 7, rel=1e-12)
    assert data["members"][0]["return_pct"] == pytest.approx(-4.4274, abs=1e-4)  # AAPL, unrounded
    assert (data["excluded"], data["as_of"], data["stale"]) == ([], "2025-03-07", False)
    assert reply.title == "Magnificent Seven (mag7): -10.35%"
    assert "Data: CSV folder · basis price · local currencies · as of 2025-03-07" in reply.to_text()


def test_an_unknown_member_is_named_and_the_others_answered(services: Services) -> None:
    reply = ask(services, "/returns target:aapl,NOPE start:2024-12-31 end:2025-03-07")
    assert reply.exit_code == 0
    assert [m["symbol"] for m in reply.data["members"]] == ["AAPL"]
    assert reply.data["excluded"] == [{"symbol": "NOPE", "reason": "unknown symbol"}]
    assert reply.data["equal_weight_return_pct"] == reply.data["members"][0]["return_pct"]
    assert "NOPE: unknown symbol" in reply.to_text()


def test_compare_gives_both_sides_and_the_spread(services: Services) -> None:
    reply = ask(services, "/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07")
    assert reply.exit_code == 0
    data = reply.data
    assert data["command"] == "compare"
    left, right = data["left"], data["right"]
    assert RETURNS_KEYS <= set(left) and RETURNS_KEYS <= set(right)
    assert (left["target"], right["target"]) == ("china-titans", "mag7")
    assert round(left["equal_weight_return_pct"], 1) == 42.8
    assert round(right["equal_weight_return_pct"], 1) == -10.3
    assert data["spread_pct"] == left["equal_weight_return_pct"] - right["equal_weight_return_pct"]
    again = ask(services, "/returns target:china-titans start:2024-12-31 end:2025-03-07")
    assert again.data["equal_weight_return_pct"] == left["equal_weight_return_pct"]


def test_quote_is_the_last_close_and_the_days_change(
    services: Services, market_data_dir: Path
) -> None:
    reply = ask(services, "/quote symbol:aapl")
    assert reply.exit_code == 0, reply.description
    (prev_day, prev), (last_day, last) = closes(market_data_dir, "AAPL")[-2:]
    data = reply.data
    assert (data["symbol"], data["currency"], data["as_of"]) == ("AAPL", "USD", last_day)
    assert (data["close"], data["previous_close"], data["previous_date"]) == (last, prev, prev_day)
    assert data["change_pct"] == pytest.approx((last / prev - 1) * 100, rel=1e-12)
    assert data["stale"] is False


def test_named_period_has_one_end_for_the_whole_question(
    services: Services, market_data_dir: Path
) -> None:
    # The question's end is the latest close of any member (AAPL, 2026-03-26). AMZN's last
    # row that day has no prices, so its end close is a day earlier, but its base is taken
    # one month before the common end, like AAPL's: both cover the same calendar period.
    reply = ask(services, "/returns target:AAPL,AMZN period:1m")
    assert reply.exit_code == 0, reply.description
    ends = {m["symbol"]: m["end_date"] for m in reply.data["members"]}
    assert ends == {"AAPL": "2026-03-26", "AMZN": closes(market_data_dir, "AMZN")[-1][0]}
    assert ends["AMZN"] == "2026-03-25"
    bases = {m["symbol"]: m["base_date"] for m in reply.data["members"]}
    for symbol in ("AAPL", "AMZN"):
        assert bases[symbol] == on_or_before(closes(market_data_dir, symbol), "2026-02-26")[0]


def test_members_whose_data_stopped_long_before_the_end_are_excluded(services: Services) -> None:
    # The Hong Kong files stop on 2025-05-22, the US ones in March 2026: an ytd of both
    # must not average two different years.
    reply = ask(services, "/returns target:AAPL,0700.HK period:ytd")
    assert reply.exit_code == 0, reply.description
    assert [m["symbol"] for m in reply.data["members"]] == ["AAPL"]
    assert reply.data["members"][0]["base_date"] == "2025-12-31"
    (excluded,) = reply.data["excluded"]
    assert excluded["symbol"] == "0700.HK"
    assert "no close within 10 days of 2026-03-26 (last close 2025-05-22)" in excluded["reason"]


def test_total_basis_says_when_there_is_no_adjusted_close(services: Services) -> None:
    reply = ask(services, "/returns target:AAPL start:2024-12-31 end:2025-03-07 basis:total")
    assert reply.exit_code == 0 and reply.data["basis"] == "total"
    assert any("no adjusted close in the data for AAPL" in n for n in reply.data["notes"])
    assert "no adjusted close in the data for AAPL" in reply.to_text()


def test_usd_answer_and_missing_fx(services: Services) -> None:
    reply = ask(services, "/returns target:0700.HK start:2024-09-30 end:2024-12-06 currency:usd")
    assert reply.exit_code == 0
    assert reply.data["currency"] == "usd" and reply.data["members"][0]["currency"] == "USD"
    # no HKD=X for 2025 in the files: nothing can be converted, said with the reason
    reply = ask(
        services, "/returns target:china-titans start:2024-12-31 end:2025-03-07 currency:usd"
    )
    assert reply.exit_code == 3
    # One line for the seven members that share the reason.
    assert (
        "9988.HK, 0700.HK, 1810.HK, 1211.HK, 0981.HK, 9618.HK, 9999.HK: "
        "no HKD=X rate (no prices between 2024-12-23 and 2025-03-07)"
    ) in reply.description


def test_source_failure_serves_stale_with_its_as_of_date(services: Services) -> None:
    first = ask(services, "/returns target:mag7 start:2024-12-31 end:2025-03-07")
    source = services.market.source
    source.failure = SourceError("Yahoo is down")  # type: ignore[attr-defined]
    reply = ask(services, "/returns target:mag7 start:2024-12-31 end:2025-03-31")
    assert reply.exit_code == 0 and reply.stale
    assert reply.data["stale"] is True and reply.data["as_of"] == "2025-03-07"
    assert reply.data["equal_weight_return_pct"] == first.data["equal_weight_return_pct"]
    assert "STALE" in reply.footer and "[stale]" in reply.to_text()
    # nothing cached for this one: no data (exit 3), never invented
    reply = ask(services, "/returns target:BABA start:2024-12-31 end:2025-03-07")
    assert reply.exit_code == 3
    assert "no data could be had (data source failed: Yahoo is down)" in reply.description


def test_a_second_identical_question_makes_no_source_call(services: Services) -> None:
    text = "/compare left:china-titans right:mag7 start:2024-12-31 end:2025-03-07"
    first = ask(services, text)
    calls = len(services.market.source.calls)  # type: ignore[attr-defined]
    assert calls >= 1
    assert ask(services, text).data == first.data
    assert len(services.market.source.calls) == calls  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/returns target:NOSUCH start:2024-12-31 end:2025-03-07", "Unknown symbol NOSUCH"),
        ("/quote symbol:NOSUCH", "Unknown symbol NOSUCH"),
        ("/returns target:my-very-long-basket-name", "No basket named 'my-very-long-basket-name'"),
        ("/returns target:mag7 start:2025-3-7", "start: '2025-3-7' is not a date"),
        ("/returns target:mag7 start:2025-02-30", "start: 2025-02-30 is not a real calendar date."),
        ("/returns target:mag7 start:2025-03-07 end:2024-12-31", "must be before end"),
        # 2026-11-25 has begun somewhere at 12:00 UTC on the 24th (UTC+14); the 26th has not
        (
            "/returns target:mag7 end:2026-11-26",
            "end: 2026-11-26 is in the future; the latest is 2026-11-25.",
        ),
        ("/returns target:mag7 start:2030-01-01", "start: 2030-01-01 is in the future"),
        (
            "/returns target:mag7 period:ytd start:2025-01-02",
            "Give either period: or start:, not both.",
        ),
        ("/returns target:" + ",".join(f"S{i}" for i in range(26)), "26 symbols given; at most 25"),
        ("/returns target:AAPL;DROP", "is not a valid symbol"),
        # Read as a name, never upper-cased into another symbol (SSAP).
        ("/returns target:AAPL,ßAP", "No company or symbol matches 'ßAP'"),
        ("/quote symbol:AAPL,MSFT", "is not a valid symbol"),
        ("/returns target:,", "Empty target"),
        ("/returns target:", "/returns needs target:"),
        ("/returns target:mag7 basis:net", "basis: 'net' is not accepted"),
        ("/compare left:mag7 right:NOSUCH period:1y", "Unknown symbol NOSUCH"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    services: Services, text: str, message: str
) -> None:
    reply = ask(services, text)
    assert reply.exit_code == 2
    assert message in reply.description
    assert "\n" not in reply.description
    assert reply.data == {"error": reply.description, "exit_code": 2}


def test_no_prices_in_the_range_is_exit_3(services: Services) -> None:
    reply = ask(services, "/returns target:HKD=X start:2025-01-02 end:2025-03-07")
    assert reply.exit_code == 3
    assert reply.description == (
        "No data for HKD=X over 2025-01-02 → 2025-03-07. "
        "HKD=X: no prices between 2024-12-19 and 2025-03-07"
    )


def test_dates_use_the_date_module() -> None:
    # guards the assumption above that the fixed clock is after every file's last row
    assert date(2026, 11, 24) > date(2026, 3, 26)

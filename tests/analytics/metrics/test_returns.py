"""Returns: exact answers on hand-made series, then the real shared data checked against an
independent computation (the csv module, not the project's reader)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from analytics.data.sources.base import Bar
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.errors import NoDataError, SourceError, UserInputError
from analytics.metrics.periods import Period
from analytics.metrics.returns import compute_returns, member_paths
from analytics.metrics.targets import PRESETS, Target
from tests.source_doubles import Clock, MemorySource, RecordingSource, daily

D = date.fromisoformat
EXACT = 1e-12

# New York: 2022-12-31 is a Saturday and 2023-01-02 a holiday. Adjusted closes on the
# two dates a ytd question uses: 96 -> 108 (+12.5%) against closes 100 -> 110 (+10%).
AAA = daily(
    ("2022-12-28", 90.0), ("2022-12-29", 95.0), ("2022-12-30", 100.0, 96.0),
    ("2023-01-03", 104.0), ("2023-01-04", 106.0), ("2023-01-05", 108.0),
    ("2023-01-06", 110.0, 108.0),
)  # fmt: skip
# Hong Kong (HKD by suffix), with a (made-up) holiday on 4 January: 50 -> 40 = -20%.
HK = daily(
    ("2022-12-28", 48.0), ("2022-12-29", 49.0), ("2022-12-30", 50.0),
    ("2023-01-03", 45.0), ("2023-01-05", 41.0), ("2023-01-06", 40.0),
)  # fmt: skip
HKD = daily(
    ("2022-12-26", 7.80), ("2022-12-27", 7.80), ("2022-12-28", 7.80), ("2022-12-29", 7.80),
    ("2022-12-30", 7.80), ("2023-01-02", 7.79), ("2023-01-03", 7.79), ("2023-01-04", 7.78),
    ("2023-01-05", 7.76), ("2023-01-06", 7.75),
)  # fmt: skip
# Tokyo, with a JPY series that stops on 28 December: the end date has no fresh rate.
TOYOTA = daily(("2022-12-30", 1800.0), ("2023-01-06", 1850.0))
JPY = daily(("2022-12-27", 133.0), ("2022-12-28", 134.0))
# A symbol whose data stopped in mid-2022 (delisted, or an old export).
OLD = daily(("2022-05-27", 20.0), ("2022-05-31", 21.0), ("2022-06-29", 24.0), ("2022-06-30", 25.0))
NOW = datetime(2023, 1, 9, 12, 0, tzinfo=UTC)


@pytest.fixture
def market(tmp_path: Path):
    source = MemorySource(
        {"AAA": AAA, "0001.HK": HK, "HKD=X": HKD, "7203.T": TOYOTA, "JPY=X": JPY, "OLD": OLD,
         "VOD.L": daily(("2022-12-30", 100.0), ("2023-01-06", 110.0))},
    )  # fmt: skip
    m = MarketData(MarketCache(tmp_path / "c.sqlite3"), RecordingSource(source), clock=Clock(NOW))
    yield m
    m.cache.close()


def symbols(*names: str) -> Target:
    return Target(",".join(names), names, "symbols")


def by_symbol(result) -> dict:  # type: ignore[no-untyped-def]
    return {m.symbol: m for m in result.members}


def test_ytd_across_a_weekend_each_on_its_own_calendar(market: MarketData) -> None:
    result = compute_returns(market, symbols("AAA", "0001.HK"), Period(name="ytd"))
    aaa, hk = by_symbol(result)["AAA"], by_symbol(result)["0001.HK"]
    assert (aaa.base_date, aaa.base_close, aaa.end_date, aaa.end_close) == (
        D("2022-12-30"), 100.0, D("2023-01-06"), 110.0,
    )  # fmt: skip
    assert aaa.return_pct == pytest.approx(10.0, rel=EXACT)
    assert (hk.base_date, hk.base_close, hk.end_close, hk.currency) == (
        D("2022-12-30"), 50.0, 40.0, "HKD",
    )  # fmt: skip
    assert hk.return_pct == pytest.approx(-20.0, rel=EXACT)
    # equal-weighted buy-and-hold: the mean of member returns
    assert result.equal_weight_return_pct == pytest.approx(-5.0, rel=EXACT)
    assert result.as_of == D("2023-01-06") and not result.stale and result.excluded == []


def test_explicit_dates_on_a_holiday_use_each_members_previous_close(market: MarketData) -> None:
    period = Period(start=D("2023-01-04"), end=D("2023-01-08"))
    result = compute_returns(market, symbols("AAA", "0001.HK"), period)
    aaa, hk = by_symbol(result)["AAA"], by_symbol(result)["0001.HK"]
    assert (aaa.base_date, aaa.base_close, aaa.end_date) == (
        D("2023-01-04"),
        106.0,
        D("2023-01-06"),
    )
    assert (hk.base_date, hk.base_close, hk.end_date) == (D("2023-01-03"), 45.0, D("2023-01-06"))
    assert hk.return_pct == pytest.approx((40 / 45 - 1) * 100, rel=EXACT)
    expected = ((110 / 106 - 1) + (40 / 45 - 1)) / 2 * 100
    assert result.equal_weight_return_pct == pytest.approx(expected, rel=EXACT)


def test_total_basis_uses_adjusted_close_and_says_when_there_is_none(market: MarketData) -> None:
    result = compute_returns(market, symbols("AAA", "0001.HK"), Period(name="ytd"), basis="total")
    assert by_symbol(result)["AAA"].return_pct == pytest.approx(12.5, rel=EXACT)
    assert by_symbol(result)["AAA"].base_close == 96.0
    assert by_symbol(result)["0001.HK"].return_pct == pytest.approx(-20.0, rel=EXACT)
    assert result.notes == [
        "Total return: no adjusted close in the data for 0001.HK; used Close "
        "(for Yahoo CSV exports Close is usually already adjusted)."
    ]
    price = compute_returns(market, symbols("AAA"), Period(name="ytd"))
    assert price.notes == [] and price.members[0].return_pct == pytest.approx(10.0, rel=EXACT)


def test_usd_converts_each_side_at_its_own_dates_rate(market: MarketData) -> None:
    result = compute_returns(market, symbols("0001.HK", "AAA"), Period(name="ytd"), currency="usd")
    hk, aaa = by_symbol(result)["0001.HK"], by_symbol(result)["AAA"]
    assert hk.currency == "USD" and hk.local_currency == "HKD"
    assert hk.base_close == pytest.approx(50 / 7.80, rel=EXACT)
    assert hk.end_close == pytest.approx(40 / 7.75, rel=EXACT)
    assert hk.return_pct == pytest.approx((40 * 7.80 / (50 * 7.75) - 1) * 100, rel=EXACT)
    assert aaa.base_close == 100.0 and aaa.return_pct == pytest.approx(10.0, rel=EXACT)
    assert result.currency == "usd"


def test_pence_are_divided_by_100_before_converting(market: MarketData) -> None:
    # VOD.L is quoted in GBp by its suffix; with no GBP=X series there is no rate to use.
    result = compute_returns(market, symbols("VOD.L", "AAA"), Period(name="ytd"), currency="usd")
    assert [m.symbol for m in result.members] == ["AAA"]
    assert [(e.symbol, e.reason) for e in result.excluded] == [
        ("VOD.L", "no GBP=X rate (unknown symbol)")
    ]


def test_a_stale_rate_excludes_the_member_with_the_reason(market: MarketData) -> None:
    result = compute_returns(market, symbols("7203.T", "AAA"), Period(name="ytd"), currency="usd")
    assert [m.symbol for m in result.members] == ["AAA"]
    assert [(e.symbol, e.reason) for e in result.excluded] == [
        ("7203.T", "no JPY=X rate within 5 days of 2023-01-06 (last 2022-12-28)")
    ]
    # in local currency the same member is fine
    local = compute_returns(market, symbols("7203.T"), Period(name="ytd"))
    assert local.members[0].currency == "JPY"
    assert local.members[0].return_pct == pytest.approx((1850 / 1800 - 1) * 100, rel=EXACT)
    # alone in USD there is nothing left: no data, with the reason
    with pytest.raises(NoDataError, match="7203.T: no JPY=X rate within 5 days"):
        compute_returns(market, symbols("7203.T"), Period(name="ytd"), currency="usd")


def test_unknown_and_empty_members_are_excluded_and_listed(market: MarketData) -> None:
    period = Period(start=D("2022-12-30"), end=D("2023-01-06"))
    result = compute_returns(market, symbols("AAA", "ZZZ", "OLD"), period)
    assert [m.symbol for m in result.members] == ["AAA"]
    assert [(e.symbol, e.reason) for e in result.excluded] == [
        ("ZZZ", "unknown symbol"),
        ("OLD", "no prices between 2022-12-16 and 2023-01-06"),
    ]
    assert result.equal_weight_return_pct == pytest.approx(10.0, rel=EXACT)


def test_only_unknown_symbols_is_bad_input(market: MarketData) -> None:
    period = Period(name="ytd")
    with pytest.raises(UserInputError, match="Unknown symbol ZZZ"):
        compute_returns(market, symbols("ZZZ"), period)
    with pytest.raises(UserInputError, match="Unknown symbols: ZZZ, YYY"):
        compute_returns(market, symbols("ZZZ", "YYY"), period)


def test_bad_basis_or_currency_is_bad_input(market: MarketData) -> None:
    with pytest.raises(UserInputError, match="basis"):
        compute_returns(market, symbols("AAA"), Period(), basis="dividends")
    with pytest.raises(UserInputError, match="currency"):
        compute_returns(market, symbols("AAA"), Period(), currency="eur")


@pytest.mark.parametrize(
    ("period", "base", "end"),
    [
        ("1d", ("2022-06-29", 24.0), ("2022-06-30", 25.0)),
        ("5d", ("2022-05-27", 20.0), ("2022-06-30", 25.0)),  # only 4 sessions: see below
        ("1m", ("2022-05-27", 20.0), ("2022-06-30", 25.0)),
        ("ytd", None, None),
        ("max", ("2022-05-27", 20.0), ("2022-06-30", 25.0)),
    ],
)
def test_without_an_end_each_symbol_ends_on_its_own_latest_close(
    market: MarketData, period: str, base: tuple | None, end: tuple | None
) -> None:
    # OLD's last close is months before today: "end" defaults to that close, not today.
    if period == "5d":
        with pytest.raises(NoDataError, match="fewer than 6 sessions"):
            compute_returns(market, symbols("OLD"), Period(name=period))
        return
    if base is None:  # ytd of 2022 needs a close on or before 2021-12-31: there is none
        with pytest.raises(NoDataError, match="no close on or before 2021-12-31"):
            compute_returns(market, symbols("OLD"), Period(name=period))
        return
    (m,) = compute_returns(market, symbols("OLD"), Period(name=period)).members
    assert (m.base_date, m.base_close) == (D(base[0]), base[1])
    assert (m.end_date, m.end_close) == (D(end[0]), end[1])


def test_member_paths_run_from_base_to_end_close(market: MarketData) -> None:
    paths = member_paths(market, symbols("0001.HK"), Period(name="ytd"), currency="usd").paths
    (path,) = paths
    assert path.days == [D(x) for x in ("2022-12-30", "2023-01-03", "2023-01-05", "2023-01-06")]
    assert path.values == pytest.approx([50 / 7.80, 45 / 7.79, 41 / 7.76, 40 / 7.75], rel=EXACT)


def test_a_stale_fx_series_makes_the_answer_stale(tmp_path: Path) -> None:
    source = RecordingSource(MemorySource({"0001.HK": HK, "HKD=X": HKD}))
    market = MarketData(MarketCache(tmp_path / "c.sqlite3"), source, clock=Clock(NOW))
    period = Period(start=D("2022-12-30"), end=D("2023-01-05"))
    market.history(["0001.HK"], D("2022-12-16"), D("2023-01-06"))  # price cached, FX not
    market.history(["HKD=X"], D("2022-12-19"), D("2023-01-03"))  # FX cached in part
    source.failure = SourceError("offline")
    result = compute_returns(market, symbols("0001.HK"), period, currency="usd")
    assert result.members[0].end_close == pytest.approx(41 / 7.79, rel=EXACT)  # last cached rate
    assert result.stale
    assert "FX rates come from a stale cache." in result.notes


# -- the real shared data, checked independently ----------------------------------------


def closes_from_csv(path: Path, weekdays_only: bool = False) -> list[tuple[date, float]]:
    """(date as written, close) of every row with a close, read with the csv module."""
    out = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["Date"] or not row["Close"]:
                continue
            day = D(row["Date"][:10])
            if weekdays_only and day.weekday() >= 5:
                continue
            out.append((day, float(row["Close"])))
    return sorted(out)


def close_on_or_before(rows: list[tuple[date, float]], day: date) -> tuple[date, float]:
    return [r for r in rows if r[0] <= day][-1]


def independent_basket_return(
    folder: Path, members: tuple[str, ...], start: date, end: date
) -> float:
    returns = []
    for symbol in members:
        rows = closes_from_csv(folder / f"{symbol}.csv")
        returns.append(close_on_or_before(rows, end)[1] / close_on_or_before(rows, start)[1] - 1)
    return sum(returns) / len(returns) * 100


@pytest.fixture
def real_market(tmp_path: Path, market_data_dir: Path, clock: Clock):
    m = MarketData(
        MarketCache(tmp_path / "real.sqlite3"), CsvFolderSource(market_data_dir), clock=clock
    )
    yield m
    m.cache.close()


@pytest.mark.parametrize(("basket", "about"), [("china-titans", 42.8), ("mag7", -10.3)])
def test_published_basket_figures_from_the_shared_files(
    real_market: MarketData, market_data_dir: Path, basket: str, about: float
) -> None:
    start, end = D("2024-12-31"), D("2025-03-07")
    target = Target(basket, PRESETS[basket], "preset", basket)
    result = compute_returns(real_market, target, Period(start=start, end=end))
    expected = independent_basket_return(market_data_dir, PRESETS[basket], start, end)
    assert result.equal_weight_return_pct == pytest.approx(expected, rel=EXACT)
    assert round(result.equal_weight_return_pct, 1) == about
    assert len(result.members) == 7 and result.excluded == []
    assert {m.base_date for m in result.members} == {start}
    assert {m.end_date for m in result.members} == {end}


def test_tencent_in_usd_over_late_2024(real_market: MarketData, market_data_dir: Path) -> None:
    start, end = D("2024-10-01"), D("2024-12-06")  # 1 October: a Hong Kong holiday
    hk = closes_from_csv(market_data_dir / "0700.HK.csv")
    fx = closes_from_csv(market_data_dir / "HKD=X.csv", weekdays_only=True)
    (base_day, base), (end_day, last) = close_on_or_before(hk, start), close_on_or_before(hk, end)
    base_usd = base / close_on_or_before(fx, base_day)[1]
    end_usd = last / close_on_or_before(fx, end_day)[1]
    result = compute_returns(
        real_market, Target("0700.HK", ("0700.HK",), "symbols"), Period(start=start, end=end),
        currency="usd",
    )  # fmt: skip
    (m,) = result.members
    assert (m.base_date, m.end_date) == (base_day, end_day) == (D("2024-09-30"), D("2024-12-06"))
    assert m.currency == "USD" and m.local_currency == "HKD"
    assert m.base_close == pytest.approx(base_usd, rel=EXACT)
    assert m.end_close == pytest.approx(end_usd, rel=EXACT)
    assert m.return_pct == pytest.approx((end_usd / base_usd - 1) * 100, rel=EXACT)
    local = compute_returns(
        real_market, Target("0700.HK", ("0700.HK",), "symbols"), Period(start=start, end=end)
    )
    assert local.members[0].return_pct != pytest.approx(m.return_pct, rel=1e-6)


def test_no_hkd_rate_after_the_series_ends_is_said_not_invented(real_market: MarketData) -> None:
    result = compute_returns(
        real_market, Target("0700.HK,AAPL", ("0700.HK", "AAPL"), "symbols"),
        Period(start=D("2024-09-30"), end=D("2024-12-31")), currency="usd",
    )  # fmt: skip
    assert [m.symbol for m in result.members] == ["AAPL"]
    # the 2024-12-07 row (a Saturday, 7.26) is a bad tick and must not be used as a rate
    assert [(e.symbol, e.reason) for e in result.excluded] == [
        ("0700.HK", "no HKD=X rate within 5 days of 2024-12-31 (last 2024-12-06)")
    ]


def test_latest_close_default_on_old_files(real_market: MarketData, market_data_dir: Path) -> None:
    # The clock is 2026-11-24 and AAPL.csv ends 2026-03-26: 1m ends on AAPL's last close.
    rows = closes_from_csv(market_data_dir / "AAPL.csv")
    last_day, last = rows[-1]
    base_day, base = close_on_or_before(rows, D("2026-02-26"))
    (m,) = compute_returns(
        real_market, Target("AAPL", ("AAPL",), "symbols"), Period(name="1m")
    ).members
    assert (m.end_date, m.end_close, m.base_date, m.base_close) == (last_day, last, base_day, base)
    assert last_day == D("2026-03-26")


def test_max_with_one_bar(tmp_path: Path) -> None:
    market = MarketData(
        MarketCache(tmp_path / "c.sqlite3"),
        MemorySource({"ONE": [Bar(D("2023-01-03"), 5.0)]}),
        clock=Clock(NOW),
    )
    (m,) = compute_returns(market, symbols("ONE"), Period(name="max")).members
    assert m.return_pct == 0.0
    with pytest.raises(NoDataError, match="only one close in the period"):
        compute_returns(market, symbols("ONE"), Period(start=D("2023-01-03"), end=D("2023-01-06")))

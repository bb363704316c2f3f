"""Figure 3's "widest range asked" is a measurement only when a range was asked."""

from __future__ import annotations

from bench.counts import widest_range
from tests.yahoo_double import RecordedRequest

DAY = 86400


def chart(period1: int, period2: int) -> RecordedRequest:
    path = "/v8/finance/chart/AAPL"
    query = {"period1": str(period1), "period2": str(period2), "interval": "1d"}
    return RecordedRequest("query2.finance.yahoo.com", path, query, 0.0, "AAPL", 200)


def test_nothing_asked_fails_instead_of_reading_as_zero_days() -> None:
    figure = widest_range("3 requests", "widest", [])
    assert figure.passed is False
    assert figure.to_json()["value"] is None and figure.to_json()["pass"] is False
    assert "no range was asked" in figure.note


def test_one_day_passes_and_a_wider_range_fails() -> None:
    start = 1_741_305_600  # 2025-03-07 00:00 UTC
    one = widest_range("3 requests", "widest", [chart(start, start + DAY)])
    assert one.value == 1.0 and one.passed is True and one.note == ""
    wide = widest_range("3 requests", "widest", [chart(start, start + DAY), chart(0, 3 * DAY)])
    assert wide.value == 3.0 and wide.passed is False

"""/valuation on:YYYY-MM-DD as typed: answers, refusals (exit 2) and no data (exit 3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from analytics.services import Services
from commands.registry import run_text
from commands.spec import Context
from tests.analytics.metrics.recorded_setup import recorded_services
from tests.analytics.metrics.test_valuation_history import serve, written_close
from tests.real_data import on_or_before, rows
from tests.yahoo_double import YahooDouble


@pytest.fixture
def services(yahoo_double: YahooDouble, tmp_path: Path) -> Iterator[Services]:
    serve(yahoo_double, four=True)
    built = recorded_services(yahoo_double, tmp_path)
    yield built
    built.close()


def ask(services: Services, text: str):
    return run_text(text, Context(services))


def test_on_answers_with_the_contract_fields(services: Services) -> None:
    reply = ask(services, "/valuation target:BEKE on:2024-06-01")
    assert reply.exit_code == 0, reply.description
    data = reply.data
    assert data["aggregate"]["on"] == "2024-06-01"
    assert data["aggregate"]["earnings_basis"] == "ttm-quarters"
    (m,) = data["members"]
    assert (m["on"], m["eps_source"], m["reconciled"]) == ("2024-06-01", "converted from CNY", True)
    _, price = written_close(date(2024, 6, 1))
    _, cny = on_or_before(rows("CNY=X"), "2024-06-01")
    # Net income of the four quarters (3 recorded + 1 written), CNY.
    income = 1308733000 + 1158042000 + 663683000 + 1_000_000_000
    assert m["trailing_pe"] == pytest.approx(price * 1148940032 / (income / cny), rel=1e-9)
    assert data["aggregate"]["forward_pe"] is None and m["forward_pe"] is None
    text = reply.to_text()
    assert "Fwd P/E not available for a past date" in text
    assert "on 2024-06-01" in reply.title and "fwd n/a" in reply.title


def test_on_with_vs_refuses_the_forward_premium(services: Services) -> None:
    reply = ask(services, "/valuation target:BEKE vs:BEKE on:2024-06-01")
    assert reply.exit_code == 0, reply.description
    assert reply.data["trailing_pe_premium_pct"] == pytest.approx(0.0)
    assert "Forward P/E is not available for a past date" in reply.description


@pytest.mark.parametrize("text", ["2024-13-01", "yesterday", "2024/06/01"])
def test_malformed_on_is_exit_2(services: Services, text: str) -> None:
    reply = ask(services, f"/valuation target:BEKE on:{text}")
    assert reply.exit_code == 2 and "on:" in reply.description
    assert "\n" not in reply.description.strip()


def test_future_on_is_exit_2(services: Services) -> None:
    reply = ask(services, "/valuation target:BEKE on:2025-03-30")
    assert reply.exit_code == 2 and "in the future" in reply.description


def test_before_any_data_is_exit_3(services: Services) -> None:
    reply = ask(services, "/valuation target:BEKE on:2023-07-01")
    assert reply.exit_code == 3
    assert "no statement reported by 2023-07-01" in reply.description

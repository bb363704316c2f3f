"""/chart and the chart on /compare, run exactly as typed, on the real shared CSV data.

Expected returns are computed here from the CSV files with the csv module, and the basket
lines are checked against what ``/returns`` answers for the same period.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from analytics.charts.figures import THEMES
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.services import Services
from bot.cli import main
from commands.chart import CHART
from commands.registry import COMMANDS, run_text
from commands.reply import Reply
from commands.spec import Context
from tests.real_data import MARKET_DATA

D = date.fromisoformat
TITANS = ("9988.HK", "0700.HK", "1810.HK", "1211.HK", "0981.HK", "9618.HK", "9999.HK")
MAG7 = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA")
RANGE = "start:2024-12-31 end:2025-03-07"


def csv_close(symbol: str, day: str) -> float:
    with (MARKET_DATA / f"{symbol}.csv").open(newline="") as handle:
        rows = {r["Date"][:10]: r for r in csv.DictReader(handle) if r["Date"] and r["Close"]}
    return float(rows[day]["Close"])


def csv_return(symbol: str, base: str = "2024-12-31", end: str = "2025-03-07") -> float:
    return (csv_close(symbol, end) / csv_close(symbol, base) - 1) * 100


def equal_weighted(symbols: tuple[str, ...]) -> float:
    return sum(csv_return(s) for s in symbols) / len(symbols)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("chart-command")
    s = Services.open(
        folder / "cache.sqlite3", folder / "marketbot.sqlite3", CsvFolderSource(MARKET_DATA)
    )
    yield s
    s.close()


def ask(services: Services, text: str, want_image: bool = True) -> Reply:
    reply = run_text(text, Context(services, want_image=want_image))
    assert reply.exit_code == 0, reply.description
    return reply


def basket_line(reply: Reply, group: str) -> dict:
    return next(s for s in reply.data["series"] if s["group"] == group and s["kind"] == "basket")


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1600, 900)
        return np.asarray(image.convert("RGB"))


def test_chart_is_registered_right_after_compare() -> None:
    names = [c.name for c in COMMANDS]
    assert names[names.index("compare") + 1] == "chart"
    options = {o.name: o for o in CHART.options}
    assert options["style"].choices == ("rebased", "price", "drawdown", "pe")
    assert options["theme"].choices == ("dark", "light")
    assert {"target", "vs", "period", "start", "end", "currency", "basis"} <= set(options)
    assert options["target"].required and not options["vs"].required
    assert all(len(o.description) <= 100 for o in CHART.options)  # Discord's limit


def test_basket_lines_end_at_what_returns_reports(services: Services) -> None:
    chart = ask(services, f"/chart target:china-titans vs:mag7 {RANGE}", want_image=False)
    for group, name, members in (("target", "china-titans", TITANS), ("vs", "mag7", MAG7)):
        returns = ask(services, f"/returns target:{name} {RANGE}")
        last = basket_line(chart, group)["values"][-1]
        assert round(last, 2) == round(returns.data["equal_weight_return_pct"], 2)
        assert last == pytest.approx(equal_weighted(members), abs=1e-6)
    assert round(basket_line(chart, "target")["values"][-1], 2) == 42.83
    assert round(basket_line(chart, "vs")["values"][-1], 2) == -10.35


def test_chart_reply_has_png_name_caption_and_json_data(services: Services) -> None:
    reply = ask(services, f"/chart target:china-titans vs:mag7 {RANGE}")
    assert reply.image is not None and reply.image_name == "chart.png"
    assert tuple(pixels(reply.image)[0, 0]) == (0x31, 0x33, 0x38)  # dark by default
    assert "\n" not in reply.caption
    assert reply.caption.startswith("china-titans +42.83% vs mag7 -10.35%, 2024-12-31 → 2025-03-07")
    data = json.loads(json.dumps(reply.data))
    assert data["command"] == "chart" and data["target"] == "china-titans" and data["vs"] == "mag7"
    assert (data["style"], data["basis"], data["currency"]) == ("rebased", "price", "local")
    assert data["as_of"] == "2025-03-07" and data["stale"] is False
    assert len(data["series"]) == 16
    for s in data["series"]:
        assert s["kind"] in ("member", "basket") and s["group"] in ("target", "vs")
        assert s["dates"][0] == "2024-12-31" and s["dates"][-1] == "2025-03-07"
        assert len(s["dates"]) == len(s["values"])
    tsla = next(s for s in data["series"] if s["label"] == "TSLA")
    assert tsla["values"][-1] == pytest.approx(csv_return("TSLA"))
    assert reply.title == "China tech titans (china-titans) vs Magnificent Seven (mag7)"
    assert "+42.83%" in reply.to_text() and "as of 2025-03-07" in reply.footer


def test_without_an_image_wanted_nothing_is_rendered_but_data_is_there(
    services: Services,
) -> None:
    reply = ask(services, f"/chart target:mag7 {RANGE}", want_image=False)
    assert reply.image is None
    assert basket_line(reply, "target")["values"][-1] == pytest.approx(equal_weighted(MAG7))
    assert reply.caption


def test_light_theme_and_drawdown_style(services: Services) -> None:
    reply = ask(services, f"/chart target:china-titans vs:mag7 {RANGE} style:drawdown theme:light")
    assert tuple(pixels(reply.image)[0, 0]) == (255, 255, 255)
    assert reply.data["style"] == "drawdown"
    line = basket_line(reply, "vs")
    assert max(line["values"]) == 0.0 and line["worst"]["value"] == min(line["values"])
    assert f"worst {line['worst']['value']:+.1f}%" in reply.caption


def test_price_style_one_symbol_and_fallback_for_several(services: Services) -> None:
    one = ask(services, f"/chart target:0700.HK style:price {RANGE}")
    series = one.data["series"]
    assert one.data["style"] == "price" and len(series) == 1
    assert series[0]["values"][-1] == pytest.approx(csv_close("0700.HK", "2025-03-07"))
    assert series[0]["currency"] == "HKD"
    assert series[0]["values"][-1] / series[0]["values"][0] - 1 == pytest.approx(
        csv_return("0700.HK") / 100
    )
    several = ask(services, f"/chart target:AAPL vs:MSFT style:price {RANGE}")
    assert several.data["style"] == "rebased" and several.data["requested_style"] == "price"
    assert "shown rebased" in several.caption
    assert several.image is not None


@pytest.mark.parametrize(
    "text, message",
    [
        (f"/chart target:mag7 style:candles {RANGE}", "style"),
        (f"/chart target:mag7 theme:blue {RANGE}", "theme"),
        (f"/chart vs:mag7 {RANGE}", "target"),
        ("/chart target:mag7 start:2025-03-07 end:2024-12-31", "must be before"),
    ],
)
def test_bad_input_is_a_clear_error(services: Services, text: str, message: str) -> None:
    reply = run_text(text, Context(services))
    assert reply.exit_code == 2 and message in reply.description
    assert reply.image is None


def test_compare_attaches_the_same_chart(services: Services) -> None:
    text = f"/compare left:china-titans right:mag7 {RANGE}"
    with_image = ask(services, text)
    assert with_image.image is not None and with_image.image_name == "chart.png"
    chart = ask(services, f"/chart target:china-titans vs:mag7 {RANGE}")
    assert with_image.image == chart.image  # same chart, byte for byte
    assert with_image.caption == chart.caption
    assert with_image.data["command"] == "compare"
    without = ask(services, text, want_image=False)
    assert without.image is None and without.caption == ""
    assert without.data == with_image.data


def test_console_writes_the_png_and_prints_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MARKETBOT_SOURCE", f"csv:{MARKET_DATA}")
    monkeypatch.setenv("MARKETBOT_DB", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setenv("MARKETBOT_CACHE", str(tmp_path / "cli-cache.sqlite3"))
    out = tmp_path / "chart.png"
    command = f"/chart target:china-titans vs:mag7 {RANGE}"
    assert main(["ask", command, "--chart-out", str(out)]) == 0
    assert pixels(out.read_bytes()).shape == (900, 1600, 3)
    assert "china-titans +42.83% vs mag7 -10.35%" in capsys.readouterr().out
    assert main(["ask", command, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["command"] == "chart"
    assert {s["label"] for s in data["series"]} == {*TITANS, *MAG7, "china-titans", "mag7"}


def test_theme_background_colours_are_discord_dark_and_white() -> None:
    assert THEMES["dark"].background == "#313338"
    assert THEMES["light"].background == "#ffffff"

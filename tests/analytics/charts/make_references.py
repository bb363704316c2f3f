"""Reference chart images: the cases, how they are stored, and how they are compared.

Run ``make references`` (``python -m tests.analytics.charts.make_references``) after an intended
change to how charts look, then look at the PNGs under ``tests/analytics/charts/reference/``
before keeping them. ``tests/analytics/charts/test_figures.py`` renders the same cases and compares.

Why stored quantised: a 1600x900 antialiased line chart is ~250 KB as rendered; reduced to
a 96-colour palette it is a fraction of that and still shows every line and label. The
comparison tolerance absorbs the palette error (measured: mean difference ~0.3 of 255).
"""

from __future__ import annotations

import io
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image

from analytics.charts.figures import render_png
from analytics.data.sources.csvdir import CsvFolderSource
from analytics.metrics.chartdata import ChartData, build_chart_data, chart_data
from analytics.metrics.periods import Period
from analytics.metrics.returns import MemberPath, MemberSet
from analytics.services import Services
from tests.real_data import MARKET_DATA

ROOT = Path(__file__).resolve().parents[3]
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
PALETTE_COLOURS = 96
#: Mean absolute difference per channel (0-255) a render may have from its reference.
#: Measured: the same render vs its stored reference ~0.3; a different chart (other data,
#: other style, other theme) is 3 or more.
MAX_MEAN_DIFF = 1.5

Case = Callable[[Services], tuple[ChartData, str]]


def _services_target(services: Services, text: str):
    return services.baskets.resolve_target(text, 0)


def _titans_vs_mag7(services: Services) -> tuple[ChartData, str]:
    period = Period(start=date(2024, 12, 31), end=date(2025, 3, 7))
    data = chart_data(
        services.market,
        _services_target(services, "china-titans"),
        period,
        vs=_services_target(services, "mag7"),
    )
    return data, "dark"


def _drawdown_light(services: Services) -> tuple[ChartData, str]:
    period = Period(start=date(2024, 6, 28), end=date(2025, 3, 7))
    data = chart_data(
        services.market,
        _services_target(services, "1810.HK,0981.HK,9988.HK"),
        period,
        vs=_services_target(services, "TSLA,NVDA,AAPL"),
        style="drawdown",
    )
    return data, "light"


def _price_dark(services: Services) -> tuple[ChartData, str]:
    period = Period(start=date(2024, 3, 7), end=date(2025, 3, 7))
    data = chart_data(services.market, _services_target(services, "0700.HK"), period, style="price")
    return data, "dark"


def synthetic_stale() -> ChartData:
    """A small hand-made chart with stale data (no source needed): the STALE marks."""
    days = [date(2025, 1, d) for d in (2, 3, 6, 7, 8, 9, 10)]
    a = MemberPath("AAA", "USD", "USD", days, [10, 11, 12, 11, 13, 14, 15], stale=True)
    b = MemberPath("BBB", "USD", "USD", days, [20, 19, 18, 17, 18, 16, 15], stale=False)
    from analytics.metrics.targets import Target

    target = Target("AAA,BBB", ("AAA", "BBB"), "symbols")
    return build_chart_data([("target", target, MemberSet([a, b], [], []))], source="test data")


def _stale_light(services: Services) -> tuple[ChartData, str]:
    return synthetic_stale(), "light"


CASES: dict[str, Case] = {
    "rebased-titans-vs-mag7-dark": _titans_vs_mag7,
    "drawdown-light": _drawdown_light,
    "price-0700-dark": _price_dark,
    "stale-synthetic-light": _stale_light,
}


@contextmanager
def csv_services() -> Iterator[Services]:
    """Services over the shared CSV folder with a throwaway cache."""
    with tempfile.TemporaryDirectory() as tmp:
        services = Services.open(
            Path(tmp) / "cache.sqlite3",
            Path(tmp) / "marketbot.sqlite3",
            CsvFolderSource(MARKET_DATA),
        )
        try:
            yield services
        finally:
            services.close()


def render_case(services: Services, name: str) -> bytes:
    data, theme = CASES[name](services)
    return render_png(data, theme)


def to_array(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference per channel (0-255); shapes must match."""
    if a.shape != b.shape:
        raise ValueError(f"different sizes: {a.shape} vs {b.shape}")
    return float(np.abs(a - b).mean())


def store(png: bytes, path: Path) -> None:
    """Write a palette-quantised copy (small on disk, close enough for the tolerance)."""
    with Image.open(io.BytesIO(png)) as image:
        small = image.convert("RGB").quantize(colors=PALETTE_COLOURS, dither=Image.Dither.NONE)
        small.save(path, format="PNG", optimize=True)


def main() -> int:
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    with csv_services() as services:
        for name in CASES:
            png = render_case(services, name)
            path = REFERENCE_DIR / f"{name}.png"
            store(png, path)
            diff = mean_difference(to_array(png), to_array(path.read_bytes()))
            print(
                f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB, "
                f"palette error {diff:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

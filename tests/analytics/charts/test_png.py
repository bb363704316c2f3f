"""The PNG writer: decoded with Pillow, its pixels are exactly what matplotlib's own
``savefig`` writes for the same figure, for every reference chart; its bytes are the same
on every call; transparency is kept when there is any."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from analytics.charts.figures import DPI, HEIGHT_PX, WIDTH_PX, build_figure
from analytics.charts.png import SIGNATURE, encode_pixels, figure_png
from analytics.services import Services
from tests.analytics.charts.make_references import CASES, csv_services


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    with csv_services() as s:
        yield s


def decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def savefig_png(fig: Figure) -> bytes:
    """What the chart code wrote before: matplotlib's savefig through Pillow."""
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=DPI, facecolor=fig.get_facecolor(), metadata={"Software": None}
    )
    return buf.getvalue()


@pytest.mark.parametrize("name", sorted(CASES))
def test_pixels_equal_savefig_for_every_reference_chart(services: Services, name: str) -> None:
    data, theme = CASES[name](services)
    ours = decoded(figure_png(build_figure(data, theme)))
    theirs = decoded(savefig_png(build_figure(data, theme)))
    assert ours.size == theirs.size == (WIDTH_PX, HEIGHT_PX)
    assert ours.mode == "RGB"  # every theme's background is opaque
    assert np.array_equal(np.asarray(ours), np.asarray(theirs.convert("RGB")))
    assert np.asarray(theirs)[:, :, 3].min() == 255  # so dropping alpha lost nothing
    dpi = ours.info["dpi"]
    assert dpi == pytest.approx((DPI, DPI), abs=0.01)


def test_same_figure_same_bytes(services: Services) -> None:
    data, theme = CASES["price-0700-dark"](services)
    assert figure_png(build_figure(data, theme)) == figure_png(build_figure(data, theme))


def test_transparent_pixels_keep_their_alpha() -> None:
    rgba = np.zeros((3, 5, 4), dtype=np.uint8)
    rgba[..., 0] = np.arange(5) * 50
    rgba[..., 3] = 255
    rgba[1, 2] = (10, 20, 30, 128)
    image = decoded(encode_pixels(rgba, dpi=100))
    assert image.mode == "RGBA"
    assert np.array_equal(np.asarray(image), rgba)


def test_opaque_pixels_round_trip_as_rgb() -> None:
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, size=(17, 23, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    png = encode_pixels(rgba, dpi=100)
    assert png.startswith(SIGNATURE)
    image = decoded(png)
    assert image.mode == "RGB"
    assert np.array_equal(np.asarray(image), rgba[..., :3])
    # Rows unfiltered: every scanline of the decompressed data starts with filter type 0.
    start = png.index(b"IDAT") + 4
    length = int.from_bytes(png[start - 8 : start - 4], "big")
    raw = zlib.decompress(png[start : start + length])
    stride = 1 + 23 * 3
    assert [raw[i * stride] for i in range(17)] == [0] * 17


def test_refuses_what_is_not_rgba_bytes() -> None:
    with pytest.raises(ValueError, match="uint8"):
        encode_pixels(np.zeros((2, 2, 3), dtype=np.uint8), dpi=100)
    with pytest.raises(ValueError, match="uint8"):
        encode_pixels(np.zeros((2, 2, 4), dtype=np.float32), dpi=100)


def test_a_threads_renderer_is_reused_and_the_next_chart_is_unaffected(
    services: Services,
) -> None:
    """Charts drawn one after another on one thread share a renderer; each PNG is still
    exactly the chart's own (nothing left over from the previous one's pixels)."""
    from analytics.charts import png

    names = sorted(CASES)
    alone = {n: savefig_png(build_figure(*CASES[n](services))) for n in names}
    first = figure_png(build_figure(*CASES[names[0]](services)))
    renderer = png._THREAD.renderer
    assert renderer is not None
    for name in [*names, *reversed(names)]:
        ours = decoded(figure_png(build_figure(*CASES[name](services))))
        assert np.array_equal(np.asarray(ours), np.asarray(decoded(alone[name]).convert("RGB")))
    assert png._THREAD.renderer is renderer  # same size and dpi: the same renderer
    assert decoded(first).size == (WIDTH_PX, HEIGHT_PX)


def test_each_thread_draws_on_its_own_renderer(services: Services) -> None:
    import threading

    from analytics.charts import png

    data, theme = CASES["price-0700-dark"](services)
    expected = figure_png(build_figure(data, theme))
    seen: list[object] = []
    results: list[bytes] = []

    def draw() -> None:
        results.append(figure_png(build_figure(data, theme)))
        seen.append(png._THREAD.renderer)

    threads = [threading.Thread(target=draw) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 3
    assert len({id(r) for r in seen}) == 3 and png._THREAD.renderer not in seen

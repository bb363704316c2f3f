"""Where charts are drawn, and the PNGs kept for reuse: every command asks this for pixels.

* **Reuse**: a PNG is kept under a digest of exactly what the renderer is given (the
  pickled job: which drawing, the theme, and every date, value, label, note and flag of
  the chart data). Two requests with the same digest get the same bytes, because the
  drawing is deterministic (the reference-image tests prove it), so reuse never changes
  an answer. Anything that changes a drawn input changes the digest: a new close moves
  the last point and the "as of" line, a split re-fetch rewrites the earlier closes. Old
  entries are dropped least recently used first, past ``cache_bytes`` in total.
* **Where**: with a :class:`~analytics.charts.workers.WorkerPool` (the bot), jobs go to
  worker processes; without one (the console, tests), the calling thread draws.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from analytics.charts import jobs
from analytics.charts.workers import WorkerPool
from analytics.data.memo import VersionedMemo

if TYPE_CHECKING:
    from analytics.metrics.chartdata import ChartData
    from analytics.metrics.pe_history import PeChartData
    from analytics.metrics.summary import WeeklySummary

#: PNGs kept for reuse; a 1600x900 chart is about 100-200 kB.
DEFAULT_CACHE_BYTES = 24 * 1024 * 1024


class PngCache:
    """Bytes by key, least recently used dropped first past ``limit`` bytes (thread-safe).

    A :class:`~analytics.data.memo.VersionedMemo` whose version never changes: a key is a
    digest of every input of the drawing, so new data is a new key, never a stale entry.
    """

    #: The one version every entry has.
    _ALWAYS = 0

    def __init__(self, limit: int = DEFAULT_CACHE_BYTES) -> None:
        self._memo: VersionedMemo[bytes] = VersionedMemo(limit, weight=len)

    @property
    def hits(self) -> int:
        return self._memo.hits

    @property
    def misses(self) -> int:
        return self._memo.misses

    def get(self, key: str) -> bytes | None:
        return self._memo.get(key, self._ALWAYS)

    def put(self, key: str, png: bytes) -> None:
        self._memo.put(key, self._ALWAYS, png)

    def clear(self) -> None:
        self._memo.clear()

    def __len__(self) -> int:
        return len(self._memo)


def job_key(fn: Callable[..., Any], *args: Any) -> str:
    """The reuse key of a drawing job: a digest of the job as it would be sent to a worker."""
    blob = pickle.dumps((fn.__module__, fn.__qualname__, args), protocol=5)
    return hashlib.blake2b(blob, digest_size=20).hexdigest()


class ChartRenderer:
    """Draws charts (in workers when it has a pool) and reuses identical PNGs."""

    def __init__(self, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.cache = PngCache(cache_bytes)
        self.pool: WorkerPool | None = None
        self._lock = threading.Lock()

    def chart_png(self, data: ChartData, theme: str = "dark") -> bytes:
        """The PNG of a ``/chart`` or ``/compare`` (:func:`analytics.charts.figures.render_png`)."""
        png = self._draw(jobs.draw_chart, data, theme)
        assert png is not None
        return png

    def pe_png(self, data: PeChartData, theme: str = "dark") -> bytes:
        """The PNG of a ``/chart style:pe`` (:func:`analytics.charts.pe.render_pe_png`)."""
        png = self._draw(jobs.draw_pe, data, theme)
        assert png is not None
        return png

    def summary_png(self, summary: WeeklySummary, theme: str = "dark") -> bytes | None:
        """A weekly summary's PNG (:func:`analytics.charts.race.summary_png`), None without data."""
        if summary.chart is None:
            return None
        return self._draw(jobs.draw_summary, summary, theme)

    def _draw(self, fn: Callable[..., bytes | None], *args: Any) -> bytes | None:
        key = job_key(fn, *args)
        png = self.cache.get(key)
        if png is not None:
            return png
        pool = self.pool
        png = pool.run(fn, *args) if pool is not None else fn(*args)
        if png is not None:
            self.cache.put(key, png)
        return png

    # -- workers ----------------------------------------------------------------------
    def start_workers(self, count: int, timeout: float | None = None) -> WorkerPool:
        """Draw in ``count`` warmed worker processes from now on (blocks until they are up)."""
        with self._lock:
            if self.pool is None:
                kwargs = {"timeout": timeout} if timeout is not None else {}
                self.pool = WorkerPool(count, initializer=jobs.warm_worker, **kwargs)
            pool = self.pool
        pool.start()
        return pool

    def stop_workers(self, grace: float = 10.0) -> None:
        """Finish sent jobs (up to ``grace`` s), stop the workers; later charts draw here."""
        with self._lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.stop(grace)

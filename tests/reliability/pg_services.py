"""Services on a PostgreSQL server store and a fresh local market cache (own file each)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from analytics.data.sources.csvdir import CsvFolderSource
from analytics.services import Services
from tests.conftest import MARKET_DATA


def services_on(url: str, cache: Path | None = None) -> Services:
    """As a process on its own host would have: the shared store, a cache of its own."""
    if cache is None:
        cache = Path(tempfile.mkdtemp(prefix="marketbot-cache-")) / "cache.sqlite3"
    return Services.open(cache, url, CsvFolderSource(MARKET_DATA))

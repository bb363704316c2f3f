"""Build the services (stores, source, market) a process needs from its settings."""

from __future__ import annotations

from analytics.data.sources.base import Source
from analytics.services import Services
from bot.settings import Settings


def make_source(settings: Settings) -> Source:
    folder = settings.csv_folder
    if folder is not None:
        from analytics.data.sources.csvdir import CsvFolderSource

        return CsvFolderSource(folder)
    from analytics.data.sources.lazy import LazySource

    def build() -> Source:
        from analytics.data.sources.yahoo import YahooSource

        return YahooSource(base_url=settings.yahoo_base_url)

    # yfinance (and pandas under it) loads on the first question Yahoo must answer, not
    # on the way to READY.
    return LazySource(build, label="Yahoo Finance")


def build_services(settings: Settings) -> Services:
    return Services.open(settings.cache_path, settings.server_store, make_source(settings))

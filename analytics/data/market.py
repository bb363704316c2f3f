"""The market-data service: answers from the cache, fetching only what is missing.

``MarketData.history(symbols, start, end)`` is the one entry point the analytics use.
It works out, per symbol, which dates in the range the cache cannot vouch for, asks the
source for them with **one** call per distinct missing range (shared by every symbol
missing it), stores each symbol's answer atomically, and reads the range back from
SQLite. Rules:

* A day is settled once the UTC date has moved past it at fetch time: a range fetched on
  the 10th covers the 9th and earlier for good. Days not yet settled when fetched (today's
  live bar) are trusted for ``latest_ttl`` and then fetched again.
* When the source fails, whatever the cache holds is served, marked stale, with the reason.
  With nothing cached, the symbol is reported as having no data — never invented.
* A source answer is written only when it is a success; an "empty" success over a range
  where the cache already has rows is treated as a failure (Yahoo glitches return empty
  frames), so bad answers never replace good rows.
* Yahoo adjusts earlier prices for splits (``Close``) and dividends (``Adj Close``). When an
  answer reports such an action, new to the cache, on a day it covers while older bars of
  the symbol are cached, those bars are on the old basis: the symbol's whole requested
  range is fetched again (one more call, for those symbols only) and replaces everything
  cached of it in one transaction. If that fails, the cache is left as it was (consistent,
  if older) and served stale; the next question tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from analytics.data.breaker import CircuitBreaker
from analytics.data.cache import FetchRecord, MarketCache
from analytics.data.clock import LONGEST_CLOSURE, ONE_DAY, latest_possible_day, utc_now
from analytics.data.closes import Closes
from analytics.data.listings import ListingStore
from analytics.data.series import History, Problem, ProblemKind, Series, Window
from analytics.data.sources.base import Bar, Listing, Source, SymbolHistory
from analytics.data.symbols import currency_from_suffix
from analytics.errors import RateLimitedError, SourceError

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Outcome:
    ok: bool = True
    kind: str | None = None
    message: str | None = None


def _problem(outcome: _Outcome, start: date, end: date) -> Problem:
    """Why a symbol with no bars cached in ``[start, end]`` has none, from its fetch outcome."""
    if outcome.kind == "not_found":
        return Problem(ProblemKind.UNKNOWN, "unknown symbol")
    if outcome.kind == "no_history":
        return Problem(ProblemKind.NO_HISTORY, f"no usable daily history ({outcome.message})")
    if not outcome.ok:
        return Problem(ProblemKind.UNAVAILABLE, f"no data could be had ({outcome.message})")
    return Problem(
        ProblemKind.NO_PRICES, f"no prices between {start.isoformat()} and {end.isoformat()}"
    )


class MarketData:
    """Cached access to daily prices from one source."""

    def __init__(
        self,
        cache: MarketCache,
        source: Source,
        *,
        clock: Callable[[], datetime] = utc_now,
        latest_ttl: timedelta = timedelta(minutes=15),
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.cache = cache
        self.source = source
        self.clock = clock
        self.latest_ttl = latest_ttl
        self.breaker = breaker or CircuitBreaker(clock)
        self.listings = ListingStore(cache)
        # Fetch decisions are serialized so two threads never fetch the same gap twice.
        self._fetch_lock = threading.Lock()

    @property
    def source_label(self) -> str:
        return self.source.label

    def today(self) -> date:
        return latest_possible_day(self.clock())

    # -- public ---------------------------------------------------------------------------
    def history(
        self, symbols: Sequence[str], start: date, end: date, *, sampled: bool = False
    ) -> History:
        """Bars for ``start <= day <= end`` of each symbol, fetching what the cache lacks.

        ``sampled=True`` reads only the first and last bar of each symbol's range (a
        :class:`~analytics.data.series.Window` series): for answers that need only a few
        bars, found later with :meth:`sample`. Fetching, problems and staleness are the same.
        """
        outcomes = self.ensure(symbols, start, end)
        series: dict[str, Series] = {}
        problems: dict[str, Problem] = {}
        for symbol in symbols:
            outcome = outcomes.get(symbol, _Outcome())
            window: Window | None = None
            if sampled:
                bars, has_adj = self.cache.sampled_bars(symbol, start, end, [end])
                window = Window(start, end, has_adj)
            else:
                bars = self.cache.bars(symbol, start, end)
            if not bars:
                problems[symbol] = _problem(outcome, start, end)
                continue
            s = Series(symbol, self.currency(symbol), bars, window=window)
            if not outcome.ok:
                s.stale = True
                s.stale_reason = outcome.message
            series[symbol] = s
        return History(series, problems)

    def sample(self, series: Series, probes: Sequence[date]) -> Series:
        """A sampled ``series`` read again with the last bar on or before each of ``probes``
        (and its first bar): a period resolves on it exactly as on every bar of its window,
        as long as the probes are the days the period looks up. Read from the cache alone."""
        window = series.window
        if window is None:
            return series
        bars, has_adj = self.cache.sampled_bars(series.symbol, window.start, window.end, probes)
        return Series(
            series.symbol, series.currency, bars, series.stale, series.stale_reason,
            Window(window.start, window.end, has_adj),
        )  # fmt: skip

    def closes(self, symbol: str, start: date, end: date, *, adjusted: bool = False) -> Closes:
        """Every close of ``symbol`` in ``[start, end]`` as arrays, from the cache alone: for
        a long path after :meth:`history` (sampled) made sure the range is covered and the
        period resolved on it (see :meth:`MarketCache.closes`)."""
        return self.cache.closes(symbol, start, end, adjusted=adjusted)

    def currency(self, symbol: str) -> str:
        meta = self.cache.symbol_meta(symbol)
        if meta and meta.currency:
            return meta.currency
        return currency_from_suffix(symbol)

    def name(self, symbol: str) -> str | None:
        meta = self.cache.symbol_meta(symbol)
        return meta.name if meta else None

    def last_day(self, symbol: str, on_or_before: date) -> date | None:
        return self.cache.last_day(symbol, on_or_before)

    # -- fetching -------------------------------------------------------------------------
    def missing_ranges(
        self, records: Sequence[FetchRecord], start: date, end: date, now: datetime
    ) -> list[tuple[date, date]]:
        """Parts of ``[start, end]`` that no fetch record vouches for at ``now``."""
        end = min(end, latest_possible_day(now))
        if end < start:
            return []
        covered: list[tuple[date, date]] = []
        for r in records:
            if now - r.fetched_at < self.latest_ttl:
                hi = r.end
            else:
                hi = min(r.end, r.fetched_at.date() - ONE_DAY)
            if hi >= r.start:
                covered.append((r.start, hi))
        covered.sort()
        gaps: list[tuple[date, date]] = []
        cursor = start
        for lo, hi in covered:
            if hi < cursor:
                continue
            if lo > end:
                break
            if lo > cursor:
                gaps.append((cursor, lo - ONE_DAY))
            cursor = max(cursor, hi + ONE_DAY)
            if cursor > end:
                break
        if cursor <= end:
            gaps.append((cursor, end))
        return gaps

    def ensure(self, symbols: Sequence[str], start: date, end: date) -> dict[str, _Outcome]:
        """Fetch every missing range of ``symbols`` within ``[start, end]``.

        Symbols missing the same range share one source call (a basket asked for the first
        time, or refreshed after the TTL, costs one call). A symbol missing days at both
        ends gets one call per gap, so its cached middle is never fetched again.
        """
        outcomes: dict[str, _Outcome] = {}
        symbols = list(dict.fromkeys(symbols))
        # Fully cached questions never wait for the lock, which a slow fetch of other
        # symbols may hold for seconds.
        if not self._gaps(symbols, start, end, self.clock()):
            return outcomes
        with self._fetch_lock:
            now = self.clock()
            by_gap = self._gaps(symbols, start, end, now)
            answers: dict[str, list[tuple[date, date, SymbolHistory]]] = {}
            failure: _Outcome | None = None
            for (lo, hi), group in sorted(by_gap.items()):
                # After the source failed as a whole, do not hammer it with the other gaps.
                answer = failure or self._fetch(group, lo, hi)
                if isinstance(answer, _Outcome):
                    failure = answer
                    for symbol in group:
                        outcomes.setdefault(symbol, answer)
                    continue
                for symbol in group:
                    result = answer.get(symbol) or SymbolHistory(
                        symbol, error="missing from the source's answer", error_kind="failed"
                    )
                    answers.setdefault(symbol, []).append((lo, hi, result))
            affected: dict[str, list[date]] = {}
            for symbol, parts in answers.items():
                news = self._news(symbol, parts)
                if news:
                    affected[symbol] = news
                    continue
                stored = self._store(symbol, parts, now)
                # A symbol whose other gap failed is stale even if this part was stored.
                outcomes.setdefault(symbol, stored)
            if affected:
                last = min(end, latest_possible_day(now))
                for symbol, refetched in self._refetch(affected, start, last, now, failure).items():
                    outcomes.setdefault(symbol, refetched)
        return outcomes

    def _gaps(
        self, symbols: list[str], start: date, end: date, now: datetime
    ) -> dict[tuple[date, date], list[str]]:
        """Missing range -> the symbols missing exactly it."""
        records = self.cache.fetches_many(symbols)
        by_gap: dict[tuple[date, date], list[str]] = {}
        for symbol in symbols:
            for gap in self.missing_ranges(records[symbol], start, end, now):
                by_gap.setdefault(gap, []).append(symbol)
        return by_gap

    def _fetch(self, group: list[str], lo: date, hi: date) -> dict[str, SymbolHistory] | _Outcome:
        """One source call, or the failure outcome that every symbol in it shares."""
        if not self.breaker.allow():
            until = self.breaker.open_until
            msg = "source paused after repeated rate limits" + (
                f" until {until:%H:%M} UTC" if until else ""
            )
            return _Outcome(False, "failed", msg)
        self._share_timezones(group)
        try:
            results = self.source.fetch_history(list(group), lo, hi)
        except RateLimitedError as exc:
            self.breaker.record_rate_limit()
            log.warning("source rate limited: %s", exc)
            return _Outcome(False, "failed", "rate limited by the data source")
        except SourceError as exc:
            self.breaker.record_rate_limit()
            log.warning("source failed: %s", exc)
            return _Outcome(False, "failed", f"data source failed: {exc}")
        self.breaker.record_success()
        return results

    def _share_timezones(self, group: list[str]) -> None:
        """Tell a source that wants them the exchange time zones the cache already knows.

        yfinance looks up each symbol's zone with a request of its own before the first
        history request of every new process (its zone cache lives in a per-process
        folder); the zones are in the market cache since the symbol's first fetch.
        """
        remember = getattr(self.source, "remember_timezones", None)
        if remember is None:
            return
        zones = {}
        for symbol in group:
            meta = self.cache.symbol_meta(symbol)
            if meta is not None and meta.timezone:
                zones[symbol] = meta.timezone
        if zones:
            remember(zones)

    def _news(self, symbol: str, parts: list[tuple[date, date, SymbolHistory]]) -> list[date]:
        """Split/dividend days in a successful answer that make cached bars outdated: not
        known to the cache yet, with bars of the symbol cached before them outside the
        ranges being stored (those are replaced anyway)."""
        if not all(result.ok for _, _, result in parts):
            return []
        reported = {d for lo, hi, result in parts for d in result.actions if lo <= d <= hi}
        if not reported:
            return []
        news = sorted(reported - self.cache.known_actions(symbol))
        return [day for day in news if self._cached_before(symbol, day, parts)]

    def _cached_before(
        self, symbol: str, day: date, parts: list[tuple[date, date, SymbolHistory]]
    ) -> bool:
        before = day - ONE_DAY
        total = self.cache.count_bars(symbol, date.min, before)
        inside = sum(
            self.cache.count_bars(symbol, lo, min(hi, before))
            for lo, hi, _ in parts
            if lo <= before
        )
        return total > inside

    def _refetch(
        self,
        affected: dict[str, list[date]],
        start: date,
        end: date,
        now: datetime,
        failure: _Outcome | None,
    ) -> dict[str, _Outcome]:
        """Fetch ``[start, end]`` again for symbols whose cached bars a split or dividend
        outdated, and let it replace all they had cached; on failure change nothing."""
        for symbol, days in affected.items():
            log.info(
                "%s: split or dividend on %s; cached prices are on the old basis, "
                "fetching %s..%s again",
                symbol,
                ", ".join(d.isoformat() for d in days),
                start.isoformat(),
                end.isoformat(),
            )
        # After the source failed as a whole, do not hammer it: serve the cache, stale.
        answer = failure or self._fetch(sorted(affected), start, end)
        outcomes: dict[str, _Outcome] = {}
        for symbol, days in affected.items():
            note = f"cached prices predate a split or dividend on {days[0].isoformat()}"
            if isinstance(answer, _Outcome):
                outcomes[symbol] = _Outcome(False, "failed", f"{answer.message}; {note}")
                continue
            result = answer.get(symbol)
            bars = (
                [b for b in result.bars if start <= b.day <= end and b.is_valid()] if result else []
            )
            if result is None or not result.ok or not bars:
                why = (result.error if result else None) or "the source returned no rows"
                msg = f"{note}; fetching them again failed: {why}"
                self.cache.record_symbol_error(symbol, "failed", msg, now)
                outcomes[symbol] = _Outcome(False, "failed", msg)
                continue
            seen = [*days, *(d for d in result.actions if start <= d <= end)]
            with self.cache.transaction():
                self.cache.replace_history(symbol, start, end, bars, now)
                self.cache.record_actions(symbol, seen, now)
                self._save_meta(symbol, result, now)
            outcomes[symbol] = _Outcome()
        return outcomes

    def _save_meta(self, symbol: str, result: SymbolHistory, now: datetime) -> None:
        self.cache.save_symbol_meta(
            symbol, currency=result.currency, name=result.name, timezone=result.timezone, now=now
        )
        if result.name or result.short_name or result.exchange:
            # Names of every fetched symbol resolve offline later (analytics.data.names).
            listing = Listing(symbol, result.name, result.short_name, result.exchange)
            self.listings.remember([listing], now)

    def _store(
        self, symbol: str, parts: list[tuple[date, date, SymbolHistory]], now: datetime
    ) -> _Outcome:
        """Store a symbol's answers for its gaps, all or nothing, in one transaction."""
        for _, _, result in parts:
            if not result.ok:
                kind = result.error_kind or "failed"
                self.cache.record_symbol_error(symbol, kind, result.error or kind, now)
                return _Outcome(False, kind, result.error)
        writes: list[tuple[date, date, list[Bar]]] = []
        for lo, hi, result in parts:
            bars = [b for b in result.bars if lo <= b.day <= hi and b.is_valid()]
            if not bars and self.cache.count_bars(symbol, lo, hi) > 0:
                msg = "source returned no rows where the cache has some; kept the cache"
                self.cache.record_symbol_error(symbol, "failed", msg, now)
                return _Outcome(False, "failed", msg)
            if not bars and hi - lo > LONGEST_CLOSURE:
                # Longer without a bar than any market closes: maybe real (not listed yet,
                # suspended), maybe a glitch (an empty frame, all-NaN closes). Answer "no
                # prices" but do not record the range as fetched: the next question asks again.
                continue
            writes.append((lo, hi, bars))
        meta = next((r for _, _, r in parts if r.currency or r.name or r.timezone), None)
        # Actions in these ranges are applied to every bar stored from now on: not news later.
        seen = [d for lo, hi, r in parts for d in r.actions if lo <= d <= hi]
        with self.cache.transaction():
            for lo, hi, bars in writes:
                self.cache.store_fetch(symbol, lo, hi, bars, now)
            self.cache.record_actions(symbol, seen, now)
            if meta is not None:
                self._save_meta(symbol, meta, now)
        return _Outcome()

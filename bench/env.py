"""The benchmark's world: the Yahoo double with real prices, the questions, the services.

Every figure asks questions ending on a fixed date (:data:`END`, the last day of the Hong
Kong files in ``../shared/market-data``), so a run on any day asks for the same bars and a
cache, once warm, stays warm: those days are settled and never fetched again.

The Yahoo double answers each data request after ``Config.delay`` (150 ms by default, a
real round trip to Yahoo); cookie and crumb requests are not delayed (see the double).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from analytics.data.sources.yahoo import YahooSource
from analytics.services import Services
from bench.core import Config
from commands.parse import parse_invocation
from commands.registry import COMMANDS, execute
from commands.reply import Reply
from commands.spec import CommandSpec, Context
from tests.real_data import MARKET_DATA
from tests.yahoo_double import YahooDouble, shared_symbols

END = date(2025, 5, 22)
MAG7 = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA")
TITANS = ("9988.HK", "0700.HK", "1810.HK", "1211.HK", "0981.HK", "9618.HK", "9999.HK")
#: The 10-member basket of figures 1-3: the Magnificent Seven and three Hong Kong lines.
BASKET10 = (*MAG7, "0700.HK", "9988.HK", "1810.HK")
#: Everything the double serves: every stock file of the shared folder (no FX).
SERVED = (*MAG7, *TITANS, "QQQ", "SPY", "BABA", "JD", "PDD", "BIDU", "3690.HK", "1024.HK")

RETURNS_Q = f"/returns target:{','.join(BASKET10)} period:1y end:{END.isoformat()}"
CHART_Q = f"/chart target:china-titans vs:mag7 period:1y end:{END.isoformat()}"
#: (name, options) as a Discord user would send them; the console form is built from it.
Question = tuple[str, dict[str, str]]
RETURNS_ASK: Question = (
    "returns",
    {"target": ",".join(BASKET10), "period": "1y", "end": END.isoformat()},
)
CHART_ASK: Question = (
    "chart",
    {"target": "china-titans", "vs": "mag7", "period": "1y", "end": END.isoformat()},
)


def as_text(question: Question) -> str:
    name, options = question
    return f"/{name} " + " ".join(f"{k}:{v}" for k, v in options.items())


#: The bursts' end dates, five per round: weekdays going back from 2025-05-22.
BURST_ENDS = [
    "2025-05-22", "2025-05-21", "2025-05-20", "2025-05-19", "2025-05-16",
    "2025-05-15", "2025-05-14", "2025-05-13", "2025-05-12", "2025-05-09",
    "2025-05-08", "2025-05-07", "2025-05-06", "2025-05-02", "2025-04-30",
    "2025-04-29", "2025-04-28", "2025-04-25", "2025-04-24", "2025-04-23",
]  # fmt: skip


def burst_questions(count: int, round_: int = 0) -> list[Question]:
    """``count`` mixed, mostly distinct commands (identical ones would share one computation).

    Roughly: 40% /returns, 20% /compare, 20% /chart, 20% /quote, over five periods and five
    end dates, all within the warmed ranges. Each ``round_`` (burst) ends on five other
    dates, so a later burst computes and draws everything again instead of reusing the
    first one's answers and PNGs: every burst measures the work, not the reuse.
    """
    ends = BURST_ENDS[5 * round_ : 5 * round_ + 5]
    if len(ends) < 5:
        raise ValueError(f"no end dates for burst round {round_}")
    periods = ["1m", "3m", "6m", "ytd", "1y"]
    targets = ["mag7", "china-titans", ",".join(BASKET10), "AAPL,0700.HK", "SPY,QQQ,BABA"]
    quotes = ["AAPL", "0700.HK", "MSFT", "9988.HK", "NVDA"]
    out: list[Question] = []
    for i in range(count):
        end, period = ends[i % 5], periods[(i // 5) % 5]
        kind = i % 10
        if kind in (0, 3, 6, 8):
            out.append(("returns", {"target": targets[(i // 2) % 5], "period": period, "end": end}))
        elif kind in (1, 7):
            left, right = ("china-titans", "mag7") if kind == 1 else ("SPY,QQQ", "BABA,JD,PDD")
            out.append(("compare", {"left": left, "right": right, "period": period, "end": end}))
        elif kind in (2, 5):
            vs = {"vs": "mag7"} if kind == 2 else {}
            target = "china-titans" if kind == 2 else "JD,PDD,BIDU,BABA"
            out.append(("chart", {"target": target, **vs, "period": period, "end": end}))
        else:
            out.append(("quote", {"symbol": quotes[(i // 10) % 5]}))
    return out


@dataclass(slots=True)
class Parsed:
    """A command parsed once, so timings cover only the handler."""

    spec: CommandSpec
    full: str
    options: dict[str, Any]

    @classmethod
    def of(cls, text: str) -> Parsed:
        spec, full, options = parse_invocation(text, COMMANDS)
        return cls(spec, full, options)

    def run(self, services: Services) -> Reply:
        """Command parsed → reply built: exactly what the bot runs in its worker thread."""
        ctx = Context(services, guild_id=0, user_id=0, can_manage=True, want_image=True)
        return execute(self.spec, ctx, self.options, self.full)


def check(reply: Reply, what: str) -> Reply:
    """A benchmark of an error reply would measure nothing: stop loudly instead."""
    if reply.exit_code:
        raise RuntimeError(f"{what} answered an error: {reply.description}")
    return reply


@dataclass
class BenchEnv:
    """The Yahoo double, a work folder, and the warm cache every timing figure reads."""

    config: Config
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mb-bench-")))
    double: YahooDouble = field(init=False)
    warm: Services = field(init=False)
    _sources: dict[str, YahooSource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not MARKET_DATA.is_dir():
            raise RuntimeError(f"real data not found at {MARKET_DATA.resolve()}")
        self.double = YahooDouble(shared_symbols(SERVED)).start()
        self.double.set_delay(self.config.delay)
        self.warm = self.services("warm.sqlite3")

    @property
    def warm_db(self) -> Path:
        return self.workdir / "warm.sqlite3"

    def source(self, name: str = "shared") -> YahooSource:
        """A Yahoo source on the double; ``name`` selects its yfinance cache folder (a new
        name: nothing known, e.g. no time zones, as in a fresh process)."""
        if name not in self._sources:
            self._sources[name] = YahooSource(
                base_url=self.double.base_url, cache_dir=self.workdir / f"yf-{name}"
            )
        return self._sources[name]

    def services(self, db_name: str, source: str = "shared") -> Services:
        """Services on the market cache ``db_name`` (and a server store beside it)."""
        cache = self.workdir / db_name
        return Services.open(cache, cache.with_suffix(".server.sqlite3"), self.source(source))

    def warm_up(self, questions: list[str]) -> None:
        """Ask each question once, so the cache holds what the timed runs will read."""
        for text in dict.fromkeys(questions):
            check(Parsed.of(text).run(self.warm), text)

    def snapshot(self, name: str) -> Path:
        """A consistent copy of the warm cache (SQLite's backup API; WAL included)."""
        target = self.workdir / name
        src = sqlite3.connect(self.warm_db)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return target

    def close(self) -> None:
        self.warm.close()
        self.double.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

"""Child process of test_crashes: writes large fetches into the cache until it is killed.

Usage: ``python -m tests.reliability.crash_writer DB``. It asks the market service for every
synthetic symbol's whole history (one ~12,000-row fetch each, written in one transaction);
symbols already cached are skipped, so each run continues where the last was killed. It
prints ``begin SYMBOL`` before and ``committed SYMBOL`` after each, flushed, so the parent
knows which writes had committed when it killed the process.
"""

from __future__ import annotations

import sys

from analytics.data.cache import MarketCache
from analytics.data.market import MarketData
from tests.reliability.synthetic import END, NOW, START, SYMBOLS, SyntheticSource


def main(db: str) -> int:
    market = MarketData(MarketCache(db), SyntheticSource(), clock=lambda: NOW)
    print("ready", flush=True)
    for symbol in SYMBOLS:
        print("begin", symbol, flush=True)
        history = market.history([symbol], START, END)
        if symbol not in history.series:
            print("failed", symbol, history.problems.get(symbol), flush=True)
            return 1
        print("committed", symbol, flush=True)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

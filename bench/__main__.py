"""``python -m bench``: run the benchmarks, print the table (or ``--json``)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from bench.core import Config, Figure
from bench.env import CHART_Q, RETURNS_Q, BenchEnv
from bench.report import load_average, summary, table, to_json

GROUPS = (
    "counts",
    "returns",
    "chart",
    "scale",
    "longchart",
    "discord",
    "process",
    "ask",
    "storm",
    "autocomplete",
)


def _runners() -> dict[str, Callable[[BenchEnv], list[Figure]]]:
    from bench.ask import ask_figures
    from bench.counts import count_figures
    from bench.e2e import e2e_figures
    from bench.handlers import chart_figures, returns_figures
    from bench.long_chart import long_chart_figures
    from bench.names import autocomplete_figures
    from bench.process import process_figures
    from bench.scale import scale_figures
    from bench.storm import storm_figures

    return {
        "counts": count_figures,
        "returns": returns_figures,
        "chart": chart_figures,
        "scale": scale_figures,
        "longchart": long_chart_figures,
        "discord": e2e_figures,
        "process": process_figures,
        "ask": ask_figures,
        "storm": storm_figures,
        "autocomplete": autocomplete_figures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1-2 repetitions")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    parser.add_argument(
        "--only", help=f"comma-separated groups to run (default all): {','.join(GROUPS)}"
    )
    parser.add_argument("--delay", type=float, help="Yahoo double delay per request, seconds")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a figure misses its target"
    )
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(GROUPS)
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")

    warnings.filterwarnings("ignore", module="yfinance")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = Config.make(args.quick)
    if args.delay is not None:
        config = Config(**{**config.__dict__, "delay": args.delay})
    runners = _runners()
    figures: list[Figure] = []
    started, load_before = time.monotonic(), load_average()
    env = BenchEnv(config)
    try:
        if "counts" in chosen:  # first: it needs yfinance and the double untouched
            _progress("counts")
            figures += runners["counts"](env)
        _progress("warming the cache")
        env.warm_up([RETURNS_Q, CHART_Q])
        for group in GROUPS[1:]:
            if group in chosen:
                _progress(group)
                figures += runners[group](env)
    finally:
        env.close()
    seconds = time.monotonic() - started
    figures.sort(key=lambda f: int(f.group.split()[0]))  # figure order, not run order
    report = to_json(figures, config, seconds, load_before)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(table(figures))
        load = report["machine"]
        print(
            f"\n{summary(figures)} · {seconds:.0f} s · Yahoo delay {config.delay * 1000:.0f} ms"
            f" · load {load['load_before']} → {load['load_after']} on {load['cpus']} CPUs"
        )
    missed = any(f.passed is False for f in figures)
    return 1 if args.strict and missed else 0


def _progress(what: str) -> None:
    print(f"bench: {what}…", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""Child process of test_concurrency: the console (``marketbot ask``) under load.

Usage: ``python -m tests.reliability.console_worker NAME OTHER SECONDS``, with MARKETBOT_DB
and MARKETBOT_SOURCE in the environment. Until SECONDS have passed it runs a mix of
commands through ``bot.cli.main(["ask", ..., "--json"])`` — the console's real entry point,
which opens the database (and runs migrations) for every command as ``marketbot ask``
does — creating baskets ``NAME-<n>``, reading the other worker's (``OTHER-<n>``), asking
returns over random ranges (so prices are fetched and written too) and quotes. Last line
on stdout: a JSON summary of what happened, including every failure's message.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import time
from typing import Any

US = ["AAPL", "AMZN", "GOOGL", "META", "MSFT", "NVDA", "TSLA", "QQQ", "SPY", "JD", "PDD"]


def ask(text: str) -> tuple[int, str, str]:
    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["ask", text, "--json"])
    return code, out.getvalue(), err.getvalue()


def random_range(rng: random.Random) -> tuple[str, str]:
    year = rng.randint(2022, 2025)
    month = rng.randint(1, 9)
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}", f"{year}-{month + 3:02d}-01"


def run(name: str, other: str, seconds: float) -> dict[str, Any]:
    rng = random.Random(name)
    deadline = time.monotonic() + seconds
    mine: list[str] = []
    summary: dict[str, Any] = {
        "ops": 0, "writes": 0, "failures": [], "created": [], "deleted": [], "seen_other": [],
    }  # fmt: skip
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.25 or not mine:
            basket = f"{name}-{len(summary['created'])}"
            text = f"/basket create name:{basket} members:{','.join(rng.sample(US, 3))}"
            expect_ok = True
        elif roll < 0.35:
            basket = mine[-1]
            text = f"/basket add name:{basket} members:{rng.choice(US)}"
            expect_ok = True
        elif roll < 0.40 and len(mine) > 2:
            basket = mine.pop(0)
            text = f"/basket delete name:{basket}"
            expect_ok = True
        elif roll < 0.60:
            text, expect_ok = "/basket list", True
        elif roll < 0.85:
            start, end = random_range(rng)
            target = ",".join(rng.sample(US, 3))
            text, expect_ok = f"/returns target:{target} start:{start} end:{end}", True
        else:
            text, expect_ok = f"/quote symbol:{rng.choice(US)}", True
        code, out, err = ask(text)
        summary["ops"] += 1
        if code != 0 or "locked" in err.lower():
            summary["failures"].append({"command": text, "code": code, "stderr": err[-500:]})
            continue
        if not expect_ok:
            continue
        data = json.loads(out)
        if text.startswith("/basket create"):
            mine.append(basket)
            summary["created"].append(basket)
            summary["writes"] += 1
        elif text.startswith(("/basket add", "/basket delete")):
            summary["writes"] += 1
            if text.startswith("/basket delete"):
                summary["deleted"].append(basket)
        elif text == "/basket list":
            seen = [b for b in data.get("baskets", {}) if b.startswith(other + "-")]
            summary["seen_other"] = sorted(set(summary["seen_other"]) | set(seen))
    return summary


if __name__ == "__main__":
    result = run(sys.argv[1], sys.argv[2], float(sys.argv[3]))
    print(json.dumps(result))

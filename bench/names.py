"""Figure 10: warm autocomplete by company name, handler time.

What Discord's autocomplete runs for a keystroke (``commands.autocomplete.suggest``, in a thread of the bot:
presets, baskets, cached symbols, then listings by name), for partial names whose search
answer the market cache already holds (one earlier keystroke asked the Yahoo double).
Discord drops an answer after 3 s; the target is p95 <= 50 ms.
"""

from __future__ import annotations

from bench.core import Figure, Samples, percentile, time_ms
from bench.env import BenchEnv
from commands.autocomplete import suggest

TYPED = ("tenc", "alib", "xiao", "tencent", "AAPL, tenc", "great wall")


def autocomplete_figures(env: BenchEnv) -> list[Figure]:
    for text in TYPED:  # the cold keystrokes: each search answer is cached from now on
        if not suggest(env.warm, 0, "target", text):
            raise RuntimeError(f"autocomplete offered nothing for {text!r}")
    samples = Samples()
    for i in range(max(env.config.repeats * 4, 12)):
        text = TYPED[i % len(TYPED)]
        ms, entries = time_ms(lambda text=text: suggest(env.warm, 0, "target", text))
        if not entries:
            raise RuntimeError(f"warm autocomplete offered nothing for {text!r}")
        samples.add(ms)
    p95 = percentile(samples.values, 95)
    return [
        Figure(
            "11 autocomplete",
            "warm autocomplete by name, p95 (handler)",
            p95,
            "ms",
            target=50.0,
            spread=samples.spread,
            runs=len(samples.values),
            note=f"median {samples.median:.2f} ms; " + ", ".join(repr(t) for t in TYPED),
        )
    ]

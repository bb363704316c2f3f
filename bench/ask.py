"""Figure 9: asking in plain words (issue 14).

* Interpreting a question (no answer): every question of the test corpus, each timed on its
  own through ``commands.ask.command.understand`` with the warm services (the server's basket
  names and the known-symbol lookups in SQLite included); p95 ≤ 10 ms. A company name not
  seen yet ends there as ``NeedsName``: its one search is network time, not interpreting.
* What ``/ask`` adds to a command: the warm ``/returns`` of figure 1 typed, and the same
  question asked in words (it must be understood as exactly that command), measured
  alternately; the median of /ask over the median of the typed command ≤ 1.2. Asked again
  and again, as people in a server do, the question is understood once and then taken from
  the memo of understood questions (``commands/ask/memo.py``, valid while the market cache
  is unchanged); what a first interpretation costs is the figure above.
"""

from __future__ import annotations

from pathlib import Path

from bench.core import Figure, Samples, percentile, time_ms
from bench.env import BASKET10, END, RETURNS_Q, BenchEnv, Parsed, check
from commands.ask.command import ASK, understand
from commands.ask.interpret import Understood
from commands.execute import execute
from commands.spec import Context

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "commands" / "ask" / "corpus.txt"
#: Figure 1's question in words.
RETURNS_WORDS = (
    f"how did {', '.join(BASKET10[:-1])} and {BASKET10[-1]} do over the past year "
    f"up to {END.isoformat()}?"
)


def corpus_questions() -> list[str]:
    out = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(line.rpartition(" => ")[0])
    return out


def ask_figures(env: BenchEnv) -> list[Figure]:
    cfg = env.config
    ctx = Context(env.warm, guild_id=0, user_id=0, can_manage=True, want_image=True)
    understood = understand(ctx, RETURNS_WORDS)
    if not isinstance(understood, Understood) or understood.command.line != RETURNS_Q:
        raise RuntimeError(f"{RETURNS_WORDS!r} was not understood as {RETURNS_Q}: {understood}")
    questions = corpus_questions()
    for q in questions[:20]:  # first calls pay for imports and dateparser's warm-up
        understand(ctx, q)
    times: list[float] = []
    for _ in range(max(1, cfg.repeats // 10)):
        for q in questions:
            ms, _outcome = time_ms(lambda q=q: understand(ctx, q))
            times.append(ms)
    interpret = Figure(
        "9 ask",
        f"interpret a question, p95 of {len(questions)} corpus questions",
        percentile(times, 95),
        "ms",
        target=10.0,
        spread=(percentile(times, 50), max(times)),
        runs=len(times),
        note="spread: p50–max",
    )
    typed = Parsed.of(RETURNS_Q)
    options = {"question": RETURNS_WORDS}
    for _ in range(3):
        check(typed.run(env.warm), RETURNS_Q)
        check(execute(ASK, ctx, options, "ask"), RETURNS_WORDS)
    plain, asked, ratios = Samples(), Samples(), Samples()
    for _ in range(cfg.repeats):
        ms_typed, _reply = time_ms(lambda: typed.run(env.warm))
        ms_ask, reply = time_ms(lambda: execute(ASK, ctx, options, "ask"))
        check(reply, RETURNS_WORDS)
        plain.add(ms_typed)
        asked.add(ms_ask)
    ratios.add(asked.median / plain.median)
    return [
        interpret,
        plain.figure("9 ask", "warm /returns typed (handler)", "ms"),
        asked.figure("9 ask", "the same asked in words: /ask (handler)", "ms"),
        Figure(
            "9 ask",
            "/ask / typed command (same run, medians)",
            asked.median / plain.median,
            "x",
            target=1.2,
            runs=len(asked.values),
            note="a repeat question: its interpretation kept (commands/ask/memo.py)",
        ),
    ]

"""Reading the question corpus (corpus.txt) and scoring the interpreter on it.

The expected commands are parsed here by plain string splitting, independently of the
interpreter and of commands/parse.py, so a mistake in either cannot hide in its own check.

Company names are looked up as the bot does (:func:`commands.ask.lookup.interpret_searching`,
at most one search per question) in an offline name source: the Yahoo double's search
answers, recorded and written (tests/yahoo_search_payloads.py), without HTTP. No name is
cached offline, so every question is asked as of a bot that has not seen its names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from analytics.data.names import Ambiguity, NameMatch
from commands.ask import Ambiguous, Refusal, Understood
from commands.ask.lookup import NameFinder, interpret_searching

CORPUS = Path(__file__).with_name("corpus.txt")
TODAY = date(2025, 3, 10)
#: This server's baskets in the corpus.
BASKETS = frozenset({"china-adr", "chips"})
#: Symbols the bot has seen: the shared CSV files.
KNOWN = frozenset(
    p.stem
    for p in (Path(__file__).resolve().parents[3] / ".." / "shared" / "market-data").glob("*.csv")
)


@dataclass(frozen=True, slots=True)
class Case:
    line: int
    question: str
    #: "answer" (one command), "refuse", or "ambiguous" (two commands).
    kind: str
    commands: tuple[tuple[str, dict[str, str]], ...]


def _command(text: str) -> tuple[str, dict[str, str]]:
    words = text.strip().split()
    name = words[0].removeprefix("/")
    options = dict(w.split(":", 1) for w in words[1:])
    return name, options


def load() -> list[Case]:
    cases = []
    for n, raw in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        question, _, expected = raw.rpartition(" => ")
        expected = expected.strip()
        if expected == "X":
            cases.append(Case(n, question, "refuse", ()))
        elif expected.startswith("?"):
            a, b = expected[1:].split("|")
            cases.append(Case(n, question, "ambiguous", (_command(a), _command(b))))
        else:
            cases.append(Case(n, question, "answer", (_command(expected),)))
    return cases


def got(
    case: Case, find: NameFinder | None = None
) -> tuple[str, tuple[tuple[str, dict[str, str]], ...]]:
    searches: list[str] = []

    def counted(phrase: str) -> NameMatch | Ambiguity | None:
        searches.append(phrase)
        assert find is not None
        return find(phrase)

    outcome = interpret_searching(
        case.question,
        today=TODAY,
        baskets=BASKETS,
        known=KNOWN,
        find=counted if find is not None else None,
    )
    assert len(searches) <= 1, (case.line, searches)
    if isinstance(outcome, Understood):
        return "answer", ((outcome.command.name, dict(outcome.command.options)),)
    if isinstance(outcome, Ambiguous):
        return "ambiguous", tuple(
            (r.command.name, dict(r.command.options)) for r in outcome.readings
        )
    assert isinstance(outcome, Refusal)
    return "refuse", ()


def describe(kind: str, commands: tuple[tuple[str, dict[str, str]], ...]) -> str:
    if kind == "refuse":
        return "refused"
    return " | ".join(f"/{n} " + " ".join(f"{k}:{v}" for k, v in o.items()) for n, o in commands)

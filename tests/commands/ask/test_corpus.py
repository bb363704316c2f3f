"""The interpreter on the question corpus: at least 95% must give exactly the expected
command (name and every option, defaults left out), and every refusal must be refused."""

from __future__ import annotations

from tests.commands.ask.corpus import describe, got, load

#: Filled by the test, printed by conftest's terminal summary.
REPORT: list[str] = []


def test_corpus_size() -> None:
    cases = load()
    assert sum(c.kind != "refuse" for c in cases) >= 200
    assert sum(c.kind == "refuse" for c in cases) >= 30


def test_corpus_at_least_95_percent() -> None:
    cases = load()
    misses = []
    for case in cases:
        kind, commands = got(case)
        if (kind, commands) != (case.kind, case.commands):
            misses.append(
                f"  line {case.line}: {case.question!r}\n"
                f"    expected {describe(case.kind, case.commands)}\n"
                f"    got      {describe(kind, commands)}"
            )
    share = 100 * (len(cases) - len(misses)) / len(cases)
    REPORT[:] = [f"ask corpus: {len(cases) - len(misses)}/{len(cases)} = {share:.1f}%", *misses]
    print("\n".join(REPORT))
    assert share >= 95, "\n".join(REPORT)


def test_every_refusal_is_refused() -> None:
    wrong = [c.question for c in load() if c.kind == "refuse" and got(c)[0] != "refuse"]
    assert not wrong

"""commands.registry: the list of commands and running a line as typed. Every command is
listed once, and every example /help shows is a line that parses to its own command."""

from __future__ import annotations

import re

from analytics.services import Services
from commands.parse import parse_invocation
from commands.registry import COMMANDS, run_text
from commands.spec import Context, flatten

EXPECTED = {
    "quote", "returns", "compare", "chart", "valuation", "marketcap", "levels", "ask",
    "basket create", "basket add", "basket remove", "basket delete", "basket show",
    "basket list", "summary subscribe", "summary list", "summary unsubscribe",
    "summary preview", "summary send", "help", "about",
}  # fmt: skip


def test_every_command_is_listed_once() -> None:
    names = [full for full, _ in flatten(COMMANDS)]
    assert len(names) == len(set(names))
    assert set(names) == EXPECTED
    assert len({spec.name for spec in COMMANDS}) == len(COMMANDS)


def test_every_example_parses_to_its_own_command() -> None:
    for full, spec in flatten(COMMANDS):
        assert spec.example.startswith(f"/{full}"), (full, spec.example)
        # In Discord the channel picker turns #markets into an id; the console takes the id.
        line = re.sub(r"channel:#\S+", "channel:1300000000000000011", spec.example)
        parsed, parsed_full, _ = parse_invocation(line, COMMANDS)
        assert (parsed, parsed_full) == (spec, full)


def test_help_lists_the_registry(services: Services) -> None:
    reply = run_text("/help", Context(services, want_image=False))
    assert [c["command"] for c in reply.data["commands"]] == [f for f, _ in flatten(COMMANDS)]


def test_a_line_that_does_not_parse_is_exit_2_and_names_the_commands(
    services: Services,
) -> None:
    reply = run_text("/nope target:mag7", Context(services, want_image=False))
    assert reply.exit_code == 2
    assert reply.description.startswith("Unknown command /nope. Commands: /quote, /returns")
    assert run_text("returns target:mag7", Context(services)).exit_code == 2

"""commands.spec: finding a command by its path, the flat list of runnable commands, and
the context's clock."""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.services import Services
from commands.reply import Reply
from commands.spec import CommandSpec, Context, GroupSpec, find, flatten
from tests.conftest import FIXED_NOW


def answer(ctx: Context, options: dict) -> Reply:
    return Reply(title="ok")


QUOTE = CommandSpec("quote", "one symbol", answer)
SHOW = CommandSpec("show", "one basket", answer)
LIST = CommandSpec("list", "every basket", answer)
BASKET = GroupSpec("basket", "baskets", (SHOW, LIST))
SPECS = [QUOTE, BASKET]


def test_find_walks_a_command_or_a_group_and_its_subcommand() -> None:
    assert find(SPECS, ["quote"]) is QUOTE
    assert find(SPECS, ["basket", "list"]) is LIST
    assert find(SPECS, ["basket"]) is BASKET
    assert find(SPECS, ["basket", "nope"]) is None
    assert find(SPECS, ["nope"]) is None and find(SPECS, []) is None


def test_flatten_names_subcommands_by_their_full_name_in_order() -> None:
    assert flatten(SPECS) == [("quote", QUOTE), ("basket show", SHOW), ("basket list", LIST)]
    assert BASKET.sub("show") is SHOW and BASKET.sub("create") is None


def test_the_context_clock_is_the_services_unless_pinned(services: Services) -> None:
    assert Context(services).clock() == FIXED_NOW
    pinned = datetime(2025, 3, 7, 21, 0, tzinfo=UTC)
    assert Context(services, now=pinned).clock() == pinned

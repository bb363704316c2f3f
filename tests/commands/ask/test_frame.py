"""Frames and commands (commands.ask.frame): a frame gives the command a careful user would
type, options in the command's own order and defaults left out; a follow-up frame changes
only what it says; a typed command gives back the frame it would have come from."""

from __future__ import annotations

import pytest

from commands.ask.frame import CannotAnswer, Command, Frame, Group, frame_of, merge, to_command

TITANS = Group("china-titans", basket=True)
MAG7 = Group("mag7", basket=True)
NVDA = Group("NVDA")
PAIR = Group("AAPL,MSFT")
YTD = {"period": "ytd"}


def command(frame: Frame) -> Command:
    made = to_command(frame)
    assert isinstance(made, Command), made
    return made


def test_the_line_follows_the_commands_option_order() -> None:
    made = Command(
        "compare", {"currency": "usd", "period": "ytd", "right": "mag7", "left": "china-titans"}
    )
    assert made.line == "/compare left:china-titans right:mag7 period:ytd currency:usd"
    assert Command("quote", {"symbol": "NVDA"}).line == "/quote symbol:NVDA"


def test_defaults_are_left_out() -> None:
    frame = Frame(
        "returns",
        (MAG7,),
        period=YTD,
        modifiers={"currency": "local", "basis": "price", "theme": "dark"},
    )
    assert command(frame) == Command("returns", {"target": "mag7", "period": "ytd"})
    usd = Frame("returns", (MAG7,), period=YTD, modifiers={"currency": "usd", "basis": "total"})
    assert command(usd).options == {
        "target": "mag7",
        "period": "ytd",
        "currency": "usd",
        "basis": "total",
    }


def test_two_groups_are_a_comparison() -> None:
    assert command(Frame("returns", (TITANS, MAG7), True, YTD)) == Command(
        "compare", {"left": "china-titans", "right": "mag7", "period": "ytd"}
    )


def test_one_symbol_and_nothing_else_has_two_readings() -> None:
    assert to_command(Frame(None, (NVDA,))) == (
        Command("quote", {"symbol": "NVDA"}),
        Command("returns", {"target": "NVDA"}),
    )
    # With a period, or for a basket or a list, it is how it did.
    assert command(Frame(None, (NVDA,), period=YTD)).name == "returns"
    assert command(Frame(None, (MAG7,))) == Command("returns", {"target": "mag7"})
    assert command(Frame(None, (PAIR,))) == Command("returns", {"target": "AAPL,MSFT"})


def test_a_chart_takes_the_other_side_as_vs() -> None:
    frame = Frame("chart", (NVDA, TITANS), True, {"period": "6m"}, {"style": "rebased"})
    assert command(frame).line == "/chart target:NVDA vs:china-titans period:6m"
    light = Frame(None, (NVDA,), modifiers={"theme": "light"}, weak_chart=True)
    assert command(light).line == "/chart target:NVDA theme:light"


def test_drawdown_is_levels_for_one_symbol_and_a_chart_otherwise() -> None:
    assert command(Frame("drawdown", (NVDA,), period={"period": "1y"})) == Command(
        "levels", {"symbol": "NVDA", "period": "1y"}
    )
    assert command(Frame("drawdown", (MAG7,))) == Command(
        "chart", {"target": "mag7", "style": "drawdown"}
    )
    shown = Frame("drawdown", (NVDA,), weak_chart=True)  # "show me NVDA's drawdown"
    assert command(shown) == Command("chart", {"target": "NVDA", "style": "drawdown"})


def test_valuation_is_in_usd_already_and_takes_no_period() -> None:
    frame = Frame("valuation", (TITANS, MAG7), True, modifiers={"currency": "usd"})
    assert command(frame) == Command("valuation", {"target": "china-titans", "vs": "mag7"})
    assert command(Frame("valuation", (MAG7,), period={"period": "1d"})) == Command(
        "valuation", {"target": "mag7"}
    )
    with pytest.raises(CannotAnswer, match="/valuation is as of the latest close"):
        to_command(Frame("valuation", (MAG7,), period=YTD))


def test_market_value_of_two_groups_has_two_readings() -> None:
    assert to_command(Frame("marketcap", (TITANS, MAG7), True, YTD)) == (
        Command("marketcap", {"target": "china-titans", "period": "ytd"}),
        Command("marketcap", {"target": "mag7", "period": "ytd"}),
    )


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (Frame("returns"), "I could not tell which stocks or basket"),
        (Frame("returns", (TITANS, MAG7, NVDA)), "I compare two things at a time"),
        (Frame("levels", (MAG7,)), "I give price levels for one symbol at a time"),
        (Frame("quote", (PAIR,)), "I give a quote for one symbol at a time"),
        (Frame("quote", (NVDA,), period=YTD), "/quote gives the latest close"),
        (Frame("levels", (NVDA,), period={"start": "2024-01-01"}), "/levels looks back"),
    ],
)
def test_frames_that_make_no_command_say_why(frame: Frame, says: str) -> None:
    with pytest.raises(CannotAnswer, match=says):
        to_command(frame)


PREVIOUS = Frame("returns", (TITANS, MAG7), True, YTD)


def test_a_follow_up_changes_only_what_it_says() -> None:
    usd = merge(PREVIOUS, Frame(modifiers={"currency": "usd"}), replace_first=False)
    assert usd == Frame("returns", (TITANS, MAG7), True, YTD, {"currency": "usd"})
    since = merge(PREVIOUS, Frame(period={"start": "2020-12-31"}), replace_first=False)
    assert since.period == {"start": "2020-12-31"} and since.groups == (TITANS, MAG7)
    chart = merge(PREVIOUS, Frame(weak_chart=True), replace_first=False)
    assert (chart.intent, chart.weak_chart, chart.period) == ("chart", False, YTD)


def test_a_follow_up_replaces_the_first_side_or_adds_the_other() -> None:
    what_about = merge(PREVIOUS, Frame(groups=(NVDA,)), replace_first=True)
    assert what_about.groups == (NVDA, MAG7)
    one = Frame("returns", (TITANS,), period=YTD)
    against = merge(one, Frame(groups=(MAG7,), versus=True), replace_first=False)
    assert (against.groups, against.versus) == ((TITANS, MAG7), True)
    instead = merge(PREVIOUS, Frame(groups=(NVDA,)), replace_first=False)
    assert instead.groups == (NVDA,)


def test_asking_for_the_valuation_drops_the_period() -> None:
    valuation = merge(PREVIOUS, Frame("valuation"), replace_first=False)
    assert (valuation.intent, valuation.period) == ("valuation", {})


@pytest.mark.parametrize(
    "typed",
    [
        Command("compare", {"left": "china-titans", "right": "mag7", "period": "ytd"}),
        Command("returns", {"target": "AAPL,MSFT", "start": "2023-12-31", "end": "2024-12-31"}),
        Command("chart", {"target": "NVDA", "vs": "mag7", "period": "6m", "theme": "light"}),
        Command("chart", {"target": "mag7", "style": "drawdown"}),
        Command("valuation", {"target": "china-titans", "vs": "mag7"}),
        Command("levels", {"symbol": "0700.HK", "period": "1y"}),
        Command("quote", {"symbol": "NVDA"}),
        Command("marketcap", {"target": "mag7", "period": "5y"}),
    ],
)
def test_a_typed_command_gives_back_the_frame_it_came_from(typed: Command) -> None:
    assert to_command(frame_of(typed)) == typed


def test_frame_of_tells_baskets_from_symbols() -> None:
    frame = frame_of(Command("compare", {"left": "AAPL,MSFT", "right": "mag7"}))
    assert frame.groups == (Group("AAPL,MSFT"), Group("mag7", basket=True))
    assert frame_of(Command("quote", {"symbol": "0700.HK"})).groups == (Group("0700.HK"),)
    assert Group("NVDA").single_symbol and not PAIR.single_symbol and not MAG7.single_symbol

"""Baskets: presets, per-server baskets in SQLite, and resolving a ``target``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from analytics.errors import UserInputError
from analytics.metrics.targets import PRESETS, Target
from analytics.server.baskets import BasketStore, check_member_count, validate_name
from tests.analytics.server.conftest import raw_rows

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
GUILD, OTHER = 111, 222


@pytest.fixture
def store(open_store) -> BasketStore:
    return BasketStore(open_store())


def test_presets_are_the_documented_members() -> None:
    assert PRESETS["china-titans"] == (
        "9988.HK", "0700.HK", "1810.HK", "1211.HK", "0981.HK", "9618.HK", "9999.HK",
    )  # fmt: skip
    assert PRESETS["mag7"] == ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA")


@pytest.mark.parametrize("name", ["ev", "EV", "a", "x" * 32, "china-ev-2025", "0"])
def test_valid_names_are_lower_cased(name: str) -> None:
    assert validate_name(name) == name.lower()


@pytest.mark.parametrize("name", ["", "x" * 33, "my_basket", "ev!", "ev basket", "évé", "a/b"])
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(UserInputError, match=r"is invalid: use 1-32 of a-z 0-9 -\.$"):
        validate_name(name)


@pytest.mark.parametrize("name", ["mag7", "MAG7", "china-titans"])
def test_preset_names_are_refused(name: str) -> None:
    with pytest.raises(UserInputError, match="is a preset basket and cannot be changed"):
        validate_name(name)


def test_create_stores_a_row_per_server(store: BasketStore, store_target: str) -> None:
    basket = store.create(GUILD, "EV", ["1211.HK", "TSLA"], 42, NOW)
    assert (basket.name, basket.members, basket.created_by) == ("ev", ("1211.HK", "TSLA"), 42)
    rows = raw_rows(
        store_target, "SELECT guild_id, name, members, created_by, created_at FROM baskets"
    )
    assert rows == [(GUILD, "ev", json.dumps(["1211.HK", "TSLA"]), 42, NOW.isoformat())]
    assert store.get(GUILD, "Ev") == basket
    assert store.get(OTHER, "ev") is None  # another server does not see it
    assert store.names(GUILD) == ["ev"] and store.list(OTHER) == []


def test_a_taken_name_is_refused(store: BasketStore) -> None:
    store.create(GUILD, "ev", ["TSLA"], 1, NOW)
    with pytest.raises(UserInputError, match="A basket named 'ev' already exists on this server"):
        store.create(GUILD, "EV", ["NIO"], 1, NOW)
    store.create(OTHER, "ev", ["NIO"], 1, NOW)  # the same name on another server is fine
    assert store.get(GUILD, "ev").members == ("TSLA",)  # type: ignore[union-attr]


def test_update_members_and_delete(store: BasketStore) -> None:
    store.create(GUILD, "ev", ["TSLA"], 1, NOW)
    updated = store.update_members(GUILD, "ev", lambda old: [*old, "NIO"], NOW)
    assert updated.members == ("TSLA", "NIO")
    assert store.get(GUILD, "ev").members == ("TSLA", "NIO")  # type: ignore[union-attr]

    def refuse(old: list[str]) -> list[str]:
        raise UserInputError("no")

    with pytest.raises(UserInputError):
        store.update_members(GUILD, "ev", refuse, NOW)
    assert store.get(GUILD, "ev").members == ("TSLA", "NIO")  # type: ignore[union-attr]
    store.delete(GUILD, "EV")
    assert store.get(GUILD, "ev") is None
    with pytest.raises(UserInputError, match="No basket named 'ev' on this server"):
        store.delete(GUILD, "ev")
    with pytest.raises(UserInputError, match="No basket named 'ev' on this server"):
        store.update_members(GUILD, "ev", lambda old: old, NOW)


@pytest.mark.parametrize("name", ["mag7", "china-titans"])
def test_presets_cannot_be_changed_or_deleted(store: BasketStore, name: str) -> None:
    with pytest.raises(UserInputError, match=f"'{name}' is a preset basket and cannot be"):
        store.delete(GUILD, name)
    with pytest.raises(UserInputError, match=f"'{name}' is a preset basket and cannot be"):
        store.update_members(GUILD, name, lambda old: [*old, "X"], NOW)
    with pytest.raises(UserInputError, match="is a preset basket"):
        store.create(GUILD, name, ["AAPL"], 1, NOW)


def test_unknown_basket_message_lists_presets_and_this_servers_baskets(store: BasketStore) -> None:
    store.create(GUILD, "ev", ["TSLA"], 1, NOW)
    store.create(OTHER, "secret", ["TSLA"], 1, NOW)
    message = str(store.unknown(GUILD, "tech"))
    assert message == (
        "No basket named 'tech' on this server. Presets: china-titans, mag7; "
        "this server's baskets: ev."
    )


def test_resolve_target(store: BasketStore) -> None:
    store.create(GUILD, "ev", ["1211.HK", "TSLA"], 1, NOW)
    assert store.resolve_target("MAG7", GUILD) == Target("mag7", PRESETS["mag7"], "preset", "mag7")
    assert store.resolve_target(" ev ", GUILD) == Target("ev", ("1211.HK", "TSLA"), "server", "ev")
    # another server's basket is not this server's: "ev" is then a symbol
    assert store.resolve_target("ev", OTHER) == Target("EV", ("EV",), "symbols")
    assert store.resolve_target("aapl, 0700.hk", GUILD) == Target(
        "AAPL,0700.HK", ("AAPL", "0700.HK"), "symbols"
    )
    assert store.resolve_target("mag7", GUILD).title == "Magnificent Seven (mag7)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Empty target"),
        ("   ", "Empty target"),
        (",", "Empty target"),
        ("AAPL;DROP", "is not a valid symbol"),
        (",".join(f"S{i}" for i in range(26)), "26 symbols given; at most 25"),
        # too long to be a symbol, shaped like a basket name: said as an unknown basket
        ("my-very-long-basket-name", "No basket named 'my-very-long-basket-name' on this server"),
    ],
)
def test_bad_targets(store: BasketStore, text: str, message: str) -> None:
    with pytest.raises(UserInputError, match=message) as info:
        store.resolve_target(text, GUILD)
    assert "\n" not in str(info.value)


def test_member_count_limit() -> None:
    check_member_count([f"S{i}" for i in range(25)])
    with pytest.raises(UserInputError, match="at most 25 symbols; this would have 26"):
        check_member_count([f"S{i}" for i in range(26)])

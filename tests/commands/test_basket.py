"""/basket create|add|remove|delete|show|list, per server, run as typed in Discord."""

from __future__ import annotations

import sqlite3

import pytest

from analytics.errors import SourceError
from analytics.metrics.targets import PRESETS
from analytics.services import Services
from commands.basket import LIST_WIDTH, members_cell
from commands.registry import MANAGE_SERVER_REFUSAL, run_text
from commands.reply import Reply
from commands.spec import Context

GUILD, OTHER = 1001, 2002


def ask(services: Services, text: str, guild: int = GUILD, manage: bool = True) -> Reply:
    ctx = Context(services, guild_id=guild, user_id=7, can_manage=manage, want_image=False)
    return run_text(text, ctx)


def stored(services: Services) -> list[tuple]:
    conn = sqlite3.connect(services.store.path)
    try:
        return conn.execute(
            "SELECT guild_id, name, members, created_by FROM baskets ORDER BY guild_id, name"
        ).fetchall()
    finally:
        conn.close()


def test_create_then_use_it_as_a_target(services: Services) -> None:
    reply = ask(services, "/basket create name:EV members:1211.hk, TSLA")
    assert reply.exit_code == 0, reply.description
    assert reply.data == {
        "command": "basket", "guild_id": GUILD, "name": "ev", "members": ["1211.HK", "TSLA"], "names": {},
    }  # fmt: skip
    assert stored(services) == [(GUILD, "ev", '["1211.HK", "TSLA"]', 7)]
    answer = ask(services, "/returns target:ev start:2024-12-31 end:2025-03-07")
    assert answer.exit_code == 0
    assert answer.data["target"] == "ev"
    assert [m["symbol"] for m in answer.data["members"]] == ["1211.HK", "TSLA"]


def test_baskets_belong_to_their_server(services: Services) -> None:
    ask(services, "/basket create name:ev members:TSLA")
    assert ask(services, "/basket show name:ev", guild=OTHER).exit_code == 2
    assert ask(services, "/basket list", guild=OTHER).data["baskets"] == {}
    assert ask(services, "/basket create name:ev members:AAPL", guild=OTHER).exit_code == 0
    assert ask(services, "/basket show name:ev").data["members"] == ["TSLA"]
    assert ask(services, "/basket show name:ev", guild=OTHER).data["members"] == ["AAPL"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "/basket create name:mag7 members:AAPL",
            "'mag7' is a preset basket and cannot be changed",
        ),
        (
            "/basket create name:my_ev members:TSLA",
            "Basket name 'my_ev' is invalid: use 1-32 of a-z 0-9 -.",
        ),
        ("/basket create name:ev! members:TSLA", "is invalid"),
        ("/basket create name:ev members:TSLA;X", "is not a valid symbol"),
        (
            "/basket create name:ev members:" + ",".join(f"S{i}" for i in range(26)),
            "26 symbols given",
        ),
        (
            "/basket create name:ev members:TSLA,NOSUCH",
            "Unknown symbol: NOSUCH. Nothing was changed.",
        ),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(
    services: Services, text: str, message: str
) -> None:
    reply = ask(services, text)
    assert reply.exit_code == 2
    assert message in reply.description and "\n" not in reply.description
    assert stored(services) == []


def test_a_taken_name_is_refused(services: Services) -> None:
    ask(services, "/basket create name:ev members:TSLA")
    reply = ask(services, "/basket create name:EV members:AAPL")
    assert reply.exit_code == 2
    assert "A basket named 'ev' already exists on this server" in reply.description
    assert stored(services) == [(GUILD, "ev", '["TSLA"]', 7)]


def test_add_and_remove(services: Services) -> None:
    ask(services, "/basket create name:ev members:TSLA")
    reply = ask(services, "/basket add name:ev members:1211.HK,tsla")
    assert reply.exit_code == 0 and reply.data["members"] == ["TSLA", "1211.HK"]
    reply = ask(services, "/basket remove name:ev members:TSLA")
    assert reply.exit_code == 0 and reply.data["members"] == ["1211.HK"]
    assert stored(services) == [(GUILD, "ev", '["1211.HK"]', 7)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/basket add name:ev members:NOSUCH", "Unknown symbol: NOSUCH. Nothing was changed."),
        (
            "/basket add name:ev members:" + ",".join(f"S{i}" for i in range(25)),
            "at most 25 symbols; this would have 26",
        ),
        ("/basket add name:mag7 members:BABA", "'mag7' is a preset basket and cannot be changed"),
        ("/basket add name:nope members:BABA", "No basket named 'nope' on this server"),
        ("/basket remove name:ev members:AAPL", "Not in ev: AAPL. Nothing was changed."),
        (
            "/basket remove name:ev members:TSLA",
            "That would leave ev empty; use /basket delete instead.",
        ),
        ("/basket remove name:china-titans members:9988.HK", "'china-titans' is a preset basket"),
        ("/basket delete name:mag7", "'mag7' is a preset basket and cannot be deleted."),
        ("/basket delete name:nope", "No basket named 'nope' on this server"),
        (
            "/basket show name:nope",
            "No basket named 'nope' on this server. Presets: china-titans, mag7; this server's baskets: ev.",
        ),
    ],
)
def test_changes_refused_leave_the_basket_as_it_was(
    services: Services, text: str, message: str
) -> None:
    ask(services, "/basket create name:ev members:TSLA")
    reply = ask(services, text)
    assert reply.exit_code == 2
    assert message in reply.description and "\n" not in reply.description
    assert stored(services) == [(GUILD, "ev", '["TSLA"]', 7)]


def test_delete_show_and_list(services: Services) -> None:
    ask(services, "/basket create name:ev members:TSLA")
    ask(services, "/basket create name:chips members:NVDA,0981.HK")
    shown = ask(services, "/basket show name:mag7")
    assert shown.data == {
        "command": "basket", "name": "mag7", "members": list(PRESETS["mag7"]), "names": {},
        "preset": True,
    }  # fmt: skip
    assert ask(services, "/basket show name:CHIPS").data["members"] == ["NVDA", "0981.HK"]
    listed = ask(services, "/basket list")
    assert listed.data["presets"] == {k: list(v) for k, v in PRESETS.items()}
    assert listed.data["baskets"] == {"chips": ["NVDA", "0981.HK"], "ev": ["TSLA"]}
    deleted = ask(services, "/basket delete name:ev")
    assert deleted.exit_code == 0 and deleted.data == {"command": "basket", "deleted": "ev"}
    assert ask(services, "/basket list").data["baskets"] == {"chips": ["NVDA", "0981.HK"]}
    # once deleted, "ev" is no longer a basket: read as the symbol EV, which does not exist
    gone = ask(services, "/returns target:ev start:2024-12-31 end:2025-03-07")
    assert gone.exit_code == 2 and "Unknown symbol EV" in gone.description


def test_list_cuts_a_long_member_list_at_a_comma_and_says_how_many_more(
    services: Services,
) -> None:
    members = ["0700.HK", "0981.HK", "1024.HK", "1211.HK", "1810.HK", "3690.HK", "9618.HK",
               "9888.HK", "9988.HK", "9999.HK", "BABA", "BIDU", "JD", "PDD"]  # fmt: skip
    assert len(", ".join(members)) > LIST_WIDTH
    created = ask(services, "/basket create name:china-all members:" + ",".join(members))
    assert created.exit_code == 0, created.description
    listed = ask(services, "/basket list")
    [row] = [line for line in listed.description.splitlines() if line.startswith("china-all")]
    cell = row.removeprefix("china-all").strip()
    # six symbols and ", +8 more" would be 6*7 + 5*2 + 9 = 61 characters: five fit.
    assert cell == "0700.HK, 0981.HK, 1024.HK, 1211.HK, 1810.HK, +9 more"
    assert len(cell) <= LIST_WIDTH
    assert listed.data["baskets"]["china-all"] == members  # the data keeps every member


def test_members_cell() -> None:
    assert members_cell(["AAPL", "MSFT"]) == "AAPL, MSFT"
    assert members_cell(["AAAA", "BBBB", "CCCC", "DDDD"], width=20) == "AAAA, BBBB, +2 more"
    assert members_cell(["AAAA", "BBBB", "CCCC"], width=16) == "AAAA, BBBB, CCCC"
    assert members_cell(["AAAA.HK", "BBBB.HK"], width=10) == "AAAA.HK, +1 more"
    assert members_cell(["VERYLONGSYMBOL.XX"], width=10) == "VERYLONGSYMBOL.XX"


@pytest.mark.parametrize(
    "text",
    [
        "/basket create name:ev members:TSLA",
        "/basket add name:ev members:NIO",
        "/basket remove name:ev members:TSLA",
        "/basket delete name:ev",
    ],
)
def test_changes_need_manage_server(services: Services, text: str) -> None:
    reply = ask(services, text, manage=False)
    assert (reply.exit_code, reply.description) == (2, MANAGE_SERVER_REFUSAL)
    assert stored(services) == []


def test_reading_needs_no_permission(services: Services) -> None:
    assert ask(services, "/basket list", manage=False).exit_code == 0
    assert ask(services, "/basket show name:mag7", manage=False).exit_code == 0


def test_an_outage_does_not_refuse_a_basket_but_says_it_was_not_verified(
    services: Services,
) -> None:
    services.market.source.failure = SourceError("offline")  # type: ignore[attr-defined]
    reply = ask(services, "/basket create name:ev members:TSLA")
    assert reply.exit_code == 0
    assert "Could not verify TSLA (data source unavailable)." in reply.to_text()
    assert stored(services) == [(GUILD, "ev", '["TSLA"]', 7)]

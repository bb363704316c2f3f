"""/summary as typed in the console: subscribe, list, unsubscribe, preview, send."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from analytics.metrics.targets import PRESETS
from analytics.services import Services
from bot.cli import main
from commands.registry import MANAGE_SERVER_REFUSAL, run_text
from commands.spec import Context
from commands.summary import parse_baskets
from tests.real_data import MARKET_DATA, close_on_or_before, closes

GUILD = 1300000000000000010
CHANNEL = 1300000000000000011


def ask(services: Services, text: str, **kw):
    return run_text(text, Context(services, guild_id=GUILD, user_id=7, want_image=False, **kw))


def test_subscribe_with_defaults_and_next_run(services: Services) -> None:
    # The fixture's now: Tuesday 2026-11-24 12:00 UTC.
    reply = ask(services, f"/summary subscribe channel:<#{CHANNEL}>")
    assert reply.exit_code == 0, reply.description
    sub = reply.data["subscription"]
    assert (sub["baskets"], sub["day"], sub["time"], sub["timezone"]) == (
        ["china-titans", "mag7"], 4, "18:00", "America/New_York",
    )  # fmt: skip
    assert reply.data["next_run_local"] == "Fri 2026-11-27 18:00 EST"
    assert reply.data["next_run_utc"] == "Fri 2026-11-27 23:00 UTC"
    (stored,) = services.subscriptions.list(GUILD)
    assert (stored.channel_id, stored.created_by) == (CHANNEL, 7)


def test_subscribe_options_are_validated(services: Services) -> None:
    ok = ask(
        services,
        f"/summary subscribe channel:{CHANNEL} baskets:MAG7, china-titans day:monday "
        "time:9:30 timezone:europe/london",
    )
    assert ok.exit_code == 0, ok.description
    assert ok.data["subscription"]["timezone"] == "Europe/London"
    assert ok.data["next_run_local"] == "Mon 2026-11-30 09:30 GMT"
    for text, message in [
        ("time:25:00", "HH:MM"),
        ("timezone:Mars/Olympus", "IANA"),
        ("day:someday", "not accepted"),
        ("baskets:mag7,nope", "No basket named 'nope'"),
        ("baskets:a,b,c,d,e", "at most 4"),
        ("baskets:AAPL", "No basket named 'aapl'"),
    ]:
        reply = ask(services, f"/summary subscribe channel:{CHANNEL} {text}")
        assert reply.exit_code == 2 and message in reply.description, (text, reply.description)
    refused = ask(services, f"/summary subscribe channel:{CHANNEL}", can_manage=False)
    assert refused.description == MANAGE_SERVER_REFUSAL
    assert len(services.subscriptions.list(GUILD)) == 1


def test_server_baskets_can_be_summarised(services: Services) -> None:
    services.baskets.create(GUILD, "ev", ["TSLA", "1211.HK"], 1, services.clock())
    (target,) = parse_baskets(services, GUILD, "ev")
    assert target.symbols == ("TSLA", "1211.HK")
    with pytest.raises(Exception, match="No basket named 'ev'"):
        parse_baskets(services, GUILD + 1, "ev")  # another server's basket


def test_list_shows_next_run_and_a_paused_reason(services: Services) -> None:
    ask(services, f"/summary subscribe channel:{CHANNEL} timezone:Europe/Berlin time:07:00")
    store = services.subscriptions
    (sub,) = store.list(GUILD)
    listed = ask(services, "/summary list")
    (entry,) = listed.data["subscriptions"]
    assert entry["next_run_local"] == "Fri 2026-11-27 07:00 CET"
    assert entry["next_run_utc"] == "Fri 2026-11-27 06:00 UTC"
    assert "Next: Fri 2026-11-27 07:00 CET · Fri 2026-11-27 06:00 UTC" in listed.fields[0].value
    slot = services.clock()
    for week in range(3):
        at = slot + timedelta(weeks=week)
        store.claim(sub.id, at, "w", at)
        store.mark_failed(sub.id, at, "w", "missing permission (Discord 403, code 50013)", at)
    listed = ask(services, "/summary list")
    text = listed.fields[0].value
    assert "Paused: paused after 3 failed weeks" in text and "Discord 403" in text
    assert listed.data["subscriptions"][0]["paused"] is True
    assert "Last: failed (weekly)" in text


def test_unsubscribe_and_ids_of_other_servers(services: Services) -> None:
    ask(services, f"/summary subscribe channel:{CHANNEL}")
    (sub,) = services.subscriptions.list(GUILD)
    other = run_text(f"/summary unsubscribe id:{sub.id}", Context(services, guild_id=GUILD + 1))
    assert other.exit_code == 2 and "No summary subscription" in other.description
    gone = ask(services, f"/summary unsubscribe id:{sub.id}")
    assert gone.exit_code == 0 and services.subscriptions.list(GUILD) == []


def test_send_needs_the_running_bot_and_queues_with_one(services: Services) -> None:
    ask(services, f"/summary subscribe channel:{CHANNEL}")
    (sub,) = services.subscriptions.list(GUILD)
    reply = ask(services, f"/summary send id:{sub.id}")
    assert reply.exit_code == 2 and "marketbot run" in reply.description
    assert services.subscriptions.posts(sub.id) == []
    woken: list[int] = []
    services.subscriptions.add_listener(lambda: woken.append(1))  # a scheduler's hook
    reply = ask(services, f"/summary send id:{sub.id}")
    assert reply.exit_code == 0 and reply.ephemeral
    (queued,) = services.subscriptions.posts(sub.id)
    assert (queued.kind, queued.status, queued.slot) == ("manual", "retry", services.clock())
    assert woken == [1]


def test_preview_gives_the_weeks_numbers_from_the_files(services: Services) -> None:
    """Checked against the CSVs read by ``tests/real_data.py``: the as-of date is the latest
    close of any member on or before today (2026-11-24), the week runs from the close on or
    before seven days earlier, the year from the close on or before 31 December."""
    reply = ask(services, "/summary preview baskets:mag7")
    assert reply.exit_code == 0 and reply.ephemeral and reply.image is None
    mag7 = PRESETS["mag7"]
    as_of = max(max(d for d in closes(s) if d <= "2026-11-24") for s in mag7)
    assert reply.data["as_of"] == as_of == "2026-03-26" and reply.stale

    def change(symbol: str, base: str) -> float:
        return (
            close_on_or_before(symbol, as_of)[1] / close_on_or_before(symbol, base)[1] - 1
        ) * 100

    week = {s: change(s, "2026-03-19") for s in mag7}
    ytd = {s: change(s, "2025-12-31") for s in mag7}
    (basket,) = reply.data["baskets"]
    assert basket["week_pct"] == pytest.approx(sum(week.values()) / len(week), rel=1e-12)
    assert basket["ytd_pct"] == pytest.approx(sum(ytd.values()) / len(ytd), rel=1e-12)
    best, worst = max(week, key=week.__getitem__), min(week, key=week.__getitem__)
    assert basket["best"] == {"symbol": best, "return_pct": pytest.approx(week[best], rel=1e-12)}
    assert basket["worst"] == {"symbol": worst, "return_pct": pytest.approx(week[worst], rel=1e-12)}


def test_console_preview_writes_the_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("MARKETBOT_SOURCE", f"csv:{MARKET_DATA}")
    monkeypatch.setenv("MARKETBOT_DB", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("MARKETBOT_CACHE", str(tmp_path / "db-cache.sqlite3"))
    png = tmp_path / "s.png"
    code = main(["ask", "/summary preview baskets:china-titans,mag7", "--chart-out", str(png)])
    assert code == 0, capsys.readouterr().err
    assert Image.open(io.BytesIO(png.read_bytes())).size == (1600, 900)
    out = capsys.readouterr().out
    assert out.startswith("Weekly summary: china-titans vs mag7") and "As of the close" in out

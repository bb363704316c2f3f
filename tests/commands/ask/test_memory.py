"""Follow-up memory (commands.ask.memory): a frame is kept 10 minutes per key, then gone;
keys never see each other's frames; the oldest go first when the bound is reached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commands.ask.frame import Frame, Group
from commands.ask.memory import FOLLOW_UP_WINDOW, Conversations

T0 = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
TITANS = Frame("returns", (Group("china-titans", basket=True),), period={"period": "ytd"})
NVDA = Frame("chart", (Group("NVDA"),), period={"period": "6m"})


def test_the_window_is_ten_minutes() -> None:
    assert FOLLOW_UP_WINDOW == timedelta(minutes=10)
    assert Conversations().window == timedelta(minutes=10)


def test_a_frame_is_kept_for_ten_minutes_then_forgotten() -> None:
    memory = Conversations()
    key = (111, 222)  # (channel, user), as /ask keys it
    memory.put(key, TITANS, T0)
    assert memory.get(key, T0) is TITANS
    assert memory.get(key, T0 + timedelta(minutes=9, seconds=59)) is TITANS
    assert memory.get(key, T0 + timedelta(minutes=10)) is TITANS  # the tenth minute counts
    assert memory.get(key, T0 + timedelta(minutes=10, seconds=1)) is None
    # Forgotten, not hidden: going back in time does not bring it back.
    assert memory.get(key, T0) is None


def test_asking_again_restarts_the_window_with_the_new_frame() -> None:
    memory = Conversations()
    memory.put((1, 2), TITANS, T0)
    memory.put((1, 2), NVDA, T0 + timedelta(minutes=8))
    assert memory.get((1, 2), T0 + timedelta(minutes=17)) is NVDA


def test_other_users_and_other_channels_do_not_share_a_frame() -> None:
    memory = Conversations()
    memory.put((1, 10), TITANS, T0)
    memory.put((2, 10), NVDA, T0)
    assert memory.get((1, 10), T0) is TITANS
    assert memory.get((2, 10), T0) is NVDA  # the same user in another channel
    assert memory.get((1, 11), T0) is None  # another user in the same channel


def test_the_oldest_entries_go_first_when_the_bound_is_reached() -> None:
    memory = Conversations(limit=2)
    memory.put("a", TITANS, T0)
    memory.put("b", NVDA, T0)
    memory.put("a", NVDA, T0)  # "a" is now the newest
    memory.put("c", TITANS, T0)
    assert memory.get("b", T0) is None
    assert memory.get("a", T0) is NVDA
    assert memory.get("c", T0) is TITANS


def test_a_custom_window() -> None:
    memory = Conversations(window=timedelta(days=1))
    memory.put(42, TITANS, T0)
    assert memory.get(42, T0 + timedelta(hours=23)) is TITANS
    assert memory.get(42, T0 + timedelta(days=1, seconds=1)) is None

"""Bad input through the real bot: discord.py against the Discord double.

Fewer cases than the property test (each is a full interaction), but they go through
everything Discord adds: discord.py's own option transforms (``Range`` lengths, choices,
integers), the runner's checks, deferral, rendering and sending. The double is told not
to validate (``validate=False``), as a misbehaving client or a future Discord change would
not: the bot must still answer every one of them clearly, ping nobody, and write nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from commands.registry import COMMANDS
from commands.spec import CommandSpec, flatten
from tests.bot.conftest import discord_double, start_bot, stop_bot
from tests.discord_double import ADMIN_PERMISSIONS, DEFAULT_CHANNEL_ID, InteractionHandle
from tests.reliability import figures
from tests.reliability.discord_helpers import is_error, pings_nobody, sends, text_of, wait_answer
from tests.reliability.helpers import (
    BIDI_CONTROLS,
    INTERNAL_ERROR,
    MESSAGE_LIMIT,
    user_state,
    valid_values,
)
from tests.reliability.test_bad_input import NASTY

pytestmark = pytest.mark.timeout(120)
HUGE_INTEGERS = (10**30, -(10**30), 2**63, 0, -1)


def _cases() -> list[tuple[str, CommandSpec, dict[str, Any]]]:
    """Two nasty values per option (rotating through the list, plus one of the long or
    invisible ones), the other options valid."""
    nonblank = [v for v in NASTY if v.strip()]
    extreme = ["A" * 10_000, "AAPL," * 2_000, "@everyone", "\u202eLPAA", "mag7\u200b"]
    cases = []
    turn = 0
    for full, spec in flatten(COMMANDS):
        base = {o.name: valid_values(o, DEFAULT_CHANNEL_ID)[0] for o in spec.options if o.required}
        for option in spec.options:
            if option.kind in ("channel", "boolean"):
                continue
            if option.kind in ("integer", "number"):
                values: list[Any] = [HUGE_INTEGERS[(turn + i) % len(HUGE_INTEGERS)] for i in (0, 1)]
            else:
                values = [nonblank[turn % len(nonblank)], extreme[turn % len(extreme)]]
            turn += 1
            cases += [(full, spec, base | {option.name: value}) for value in values]
    return cases


def _check_interaction(handle: InteractionHandle, bodies: list[dict[str, Any]]) -> str:
    assert all(r.ok for r in handle.requests), [(r.path, r.status) for r in handle.requests]
    for request in sends(handle):
        assert pings_nobody(request.json.get("data", request.json)), request.json
    text = "\n".join(text_of(b) for b in bodies)
    assert not any(c in BIDI_CONTROLS for c in text), text[:200]
    assert INTERNAL_ERROR not in text, text[:300]
    errors = [b for b in bodies if is_error(b)]
    for body in errors:
        shown = body.get("content") or body["embeds"][0].get("description", "")
        assert 0 < len(shown) < MESSAGE_LIMIT, shown[:100]
    return "refused" if errors else "answer"


async def test_nasty_values_through_the_real_bot(tmp_path: Path) -> None:
    cases = _cases()
    assert len(cases) >= 60
    async with discord_double() as double:
        bot, task = await start_bot(double, tmp_path)
        try:
            db = bot.services.store.path
            for full, _spec, options in cases:
                name, _, sub = full.partition(" ")
                before = user_state(db)
                handle = await double.send_slash(
                    name, options, subcommand=sub or None, permissions=ADMIN_PERMISSIONS,
                    validate=False,
                )  # fmt: skip
                bodies = await wait_answer(handle, timeout=30)
                outcome = _check_interaction(handle, bodies)
                figures.add("bad_input.bot_cases")
                if outcome == "refused":
                    assert user_state(db) == before, (full, options)
                    figures.add("bad_input.bot_refusals_checked_nothing_written")
            # Still alive and answering.
            about = await double.send_slash("about")
            bodies = await wait_answer(about)
            assert bodies[0]["embeds"][0]["title"] == "About marketbot"
        finally:
            await stop_bot(bot, task)

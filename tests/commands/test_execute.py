"""commands.execute: the one place a command runs. Expected errors become their own reply
and exit code; anything else becomes an error id that the log carries with the cause;
admin commands are refused before their handler runs."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from analytics.errors import NoDataError, StorageUnavailable, UserInputError
from analytics.services import Services
from commands.execute import MANAGE_SERVER_REFUSAL, execute
from commands.reply import Reply
from commands.spec import CommandSpec, Context

GUILD = 5151


def spec_raising(error: Exception, **kw: Any) -> CommandSpec:
    def handler(ctx: Context, options: dict[str, Any]) -> Reply:
        raise error

    return CommandSpec("probe", "raises what it is given", handler, **kw)


def ctx(services: Services, manage: bool = True) -> Context:
    return Context(services, guild_id=GUILD, user_id=3, can_manage=manage, want_image=False)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UserInputError("start: 2025-02-30 is not a real calendar date."), 2),
        (NoDataError("AAPL: no data could be had."), 3),
        (StorageUnavailable(), 3),
    ],
)
def test_an_expected_error_is_its_own_message_and_exit_code(
    services: Services, error: Exception, code: int
) -> None:
    reply = execute(spec_raising(error), ctx(services), {})
    assert (reply.exit_code, reply.description, reply.tone) == (code, str(error), "error")
    assert reply.ephemeral and reply.data == {"error": str(error), "exit_code": code}


def test_an_unexpected_error_is_an_id_logged_with_its_cause(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="marketbot.commands")
    reply = execute(spec_raising(KeyError("secret internals")), ctx(services), {}, "probe x")
    assert reply.exit_code == 1 and "secret internals" not in reply.description
    found = re.fullmatch(
        r"Something went wrong on our side \(error id ([0-9a-f]{8})\)\. It has been logged; "
        r"please try again later\.",
        reply.description,
    )
    assert found is not None, reply.description
    [record] = [r for r in caplog.records if found.group(1) in r.getMessage()]
    assert record.getMessage() == f"command /probe x failed (error id {found.group(1)})"
    assert record.exc_info is not None and isinstance(record.exc_info[1], KeyError)


def test_an_admin_command_is_refused_without_manage_server_and_never_runs(
    services: Services,
) -> None:
    ran: list[dict[str, Any]] = []

    def handler(ctx: Context, options: dict[str, Any]) -> Reply:
        ran.append(options)
        return Reply(title="changed")

    spec = CommandSpec("change", "writes", handler, admin=True)
    refused = execute(spec, ctx(services, manage=False), {"x": 1})
    assert (refused.exit_code, refused.description) == (2, MANAGE_SERVER_REFUSAL)
    assert ran == []
    assert execute(spec, ctx(services), {"x": 1}).title == "changed"
    assert ran == [{"x": 1}]


def test_an_ephemeral_command_answers_privately_even_when_it_succeeds(
    services: Services,
) -> None:
    spec = CommandSpec("preview", "private", lambda c, o: Reply(title="only you"), ephemeral=True)
    public = CommandSpec("quote", "public", lambda c, o: Reply(title="everyone"))
    assert execute(spec, ctx(services), {}).ephemeral is True
    assert execute(public, ctx(services), {}).ephemeral is False

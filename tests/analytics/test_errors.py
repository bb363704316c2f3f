"""The error-id helpers every layer uses for an unexpected failure: the id's format, the log
line that carries it (and the cause), and the one wording users read."""

from __future__ import annotations

import logging
import re

import pytest

from analytics.errors import (
    SOMETHING_WENT_WRONG,
    TRY_AGAIN,
    error_message,
    log_error_id,
    new_error_id,
    with_error_id,
)

log = logging.getLogger("marketbot.test_errors")


def test_an_error_id_is_eight_hex_digits_and_new_each_time() -> None:
    ids = [new_error_id() for _ in range(500)]
    assert all(re.fullmatch(r"[0-9a-f]{8}", i) for i in ids)
    assert len(set(ids)) == 500


def test_the_logged_line_carries_the_id_its_arguments_and_the_cause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger=log.name)
    try:
        raise RuntimeError("kaboom")
    except RuntimeError:
        error_id = log_error_id(log, "command /%s failed", "quote")
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"command /quote failed (error id {error_id})"
    assert record.exc_info is not None and str(record.exc_info[1]) == "kaboom"
    # the record points at the caller, not at the helper
    assert (record.pathname, record.funcName) == (
        __file__,
        "test_the_logged_line_carries_the_id_its_arguments_and_the_cause",
    )


def test_an_exception_can_be_given_and_none_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger=log.name)
    given = ValueError("from elsewhere")
    first = log_error_id(log, "interaction failed", exc_info=given)
    second = log_error_id(log, "%s: worker stopped twice", "job", exc_info=False)
    assert first != second
    assert caplog.records[0].exc_info is not None and caplog.records[0].exc_info[1] is given
    assert not caplog.records[1].exc_info
    assert caplog.records[1].getMessage() == f"job: worker stopped twice (error id {second})"


def test_the_user_text_has_one_wording() -> None:
    assert error_message("0badc0de") == (
        "Something went wrong on our side (error id 0badc0de). It has been logged; "
        "please try again later."
    )
    assert error_message("0badc0de").startswith(SOMETHING_WENT_WRONG)


def test_variants_change_what_failed_and_what_to_do_never_the_id_part() -> None:
    text = error_message(
        "12345678", "The answer could not be delivered (Discord error 503)", TRY_AGAIN
    )
    assert text == (
        "The answer could not be delivered (Discord error 503) (error id 12345678). "
        "It has been logged; please try again."
    )
    assert with_error_id("something went wrong on our side", "12345678") == (
        "something went wrong on our side (error id 12345678)"
    )

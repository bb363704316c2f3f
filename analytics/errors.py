"""Errors that carry a user-facing message.

Every layer above ``analytics`` turns these into a short reply (Discord: an ephemeral
message; console: one line on stderr and an exit status). Anything else is a bug and is
logged with an id instead of being shown.
"""

from __future__ import annotations

import logging
import secrets


class MarketbotError(Exception):
    """Base class: ``str(error)`` is safe to show to a user."""

    exit_code = 1


class UserInputError(MarketbotError):
    """The question itself was wrong: unknown symbol or basket, bad date, bad option."""

    exit_code = 2


class NoDataError(MarketbotError):
    """The question was fine but no data could be had (source down and nothing cached)."""

    exit_code = 3


class StorageUnavailable(MarketbotError):
    """The server store (baskets, subscriptions) did not answer: PostgreSQL down or
    unreachable. The operation wrote nothing; market answers, which do not need it, go on."""

    exit_code = 3

    def __init__(self, message: str = "storage unavailable, try again in a moment.") -> None:
        super().__init__(message)


class PermissionDeniedError(MarketbotError):
    """The user may not do this (e.g. change baskets without Manage Server)."""

    exit_code = 2


class SourceError(Exception):
    """A market-data source failed as a whole (network, rate limit, malformed answer).

    Not shown to users directly: the market service turns it into stale answers or a
    :class:`NoDataError`.
    """


class RateLimitedError(SourceError):
    """The source answered 429 / rate limited."""


class WorkerError(MarketbotError):
    """A worker process could not do its job (it hung or kept crashing).

    The message names an error id, logged with the details, so a user who reports it can
    be matched with the log.
    """

    exit_code = 1


# -- error ids ----------------------------------------------------------------------------
# An unexpected failure is shown to a user only as an id, and logged under the same id with
# the details. Every layer (commands, the bot, the scheduler, the chart workers) builds both
# through the helpers below, so the id has one format and the log line one shape: the id a
# user quotes is found with one grep, whichever part of the program failed.

#: What a user is told when the cause is ours and not theirs.
SOMETHING_WENT_WRONG = "Something went wrong on our side"
#: What they can do about it (there is nothing to correct in their question).
TRY_AGAIN_LATER = "please try again later."
#: ... where the failure was of this one attempt (a worker, a delivery), not of the program.
TRY_AGAIN = "please try again."


def new_error_id() -> str:
    """Eight hex digits: short enough to read out or paste, and random (4 bytes) so two
    failures in the same log practically never share an id."""
    return secrets.token_hex(4)


def log_error_id(
    logger: logging.Logger, message: str, *args: object, exc_info: object = True
) -> str:
    """Make an id, log ``message (error id …)`` at ERROR with ``exc_info`` (the current
    exception by default), and return the id for the text the user sees."""
    error_id = new_error_id()
    # stacklevel: the record names the caller's file and line, not this helper's.
    logger.error(f"{message} (error id %s)", *args, error_id, exc_info=exc_info, stacklevel=2)
    return error_id


def with_error_id(what: str, error_id: str) -> str:
    """``what (error id 1a2b3c4d)``: how an id is always written beside what failed."""
    return f"{what} (error id {error_id})"


def error_message(
    error_id: str, what: str = SOMETHING_WENT_WRONG, then: str = TRY_AGAIN_LATER
) -> str:
    """The sentence a user gets for an unexpected failure: ``what`` (by default the
    generic one; a variant only where the situation differs, e.g. a reply that could not
    be delivered), the id, that it was logged, and ``then``, what to do now."""
    return f"{with_error_id(what, error_id)}. It has been logged; {then}"

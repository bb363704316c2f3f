"""Errors that carry a user-facing message.

Every layer above ``analytics`` turns these into a short reply (Discord: an ephemeral
message; console: one line on stderr and an exit status). Anything else is a bug and is
logged with an id instead of being shown.
"""

from __future__ import annotations


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

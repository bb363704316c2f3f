"""``MARKETBOT_DB=postgresql://user:password@host:port/database``: checking it, and showing
it without its password (in errors, logs and /about)."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit, urlunsplit

import psycopg

from analytics.errors import UserInputError


class StoreConnectError(UserInputError):
    """MARKETBOT_DB names a PostgreSQL we cannot use (unreachable, refused, malformed)."""


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL with its password replaced by ``***`` (for logs, /about and errors)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://(unreadable URL)"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


def password_of(url: str) -> str | None:
    with contextlib.suppress(ValueError):
        return urlsplit(url).password
    return None


def check_url(url: str) -> None:
    """Refuse a malformed URL with one line (the password never in it)."""
    try:
        parts = urlsplit(url)
        port = parts.port
        psycopg.conninfo.conninfo_to_dict(url)
    except (ValueError, psycopg.ProgrammingError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        password = password_of(url)
        if password:
            reason = reason.replace(password, "***")
        raise StoreConnectError(
            f"MARKETBOT_DB: not a usable PostgreSQL URL ({reason[:120]}); "
            "use postgresql://user:password@host:port/database."
        ) from None
    if not parts.hostname or not parts.path.strip("/"):
        raise StoreConnectError(
            f"MARKETBOT_DB: {redact(url)} needs a host and a database name; "
            "use postgresql://user:password@host:port/database."
        )
    del port

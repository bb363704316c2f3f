"""Settings from the environment and an optional ``.env`` file.

The environment wins over ``.env`` (python-dotenv with ``override=False``), so a deployment
can keep defaults in the file and secrets in the environment. The Discord token is only
ever read here and is hidden from ``repr`` so it cannot leak into logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from analytics.errors import UserInputError
from bot.shards import ShardPlan, shard_plan

DEFAULT_DB = Path("data") / "marketbot.sqlite3"
MAX_CHART_WORKERS = 16
DEFAULT_CACHE = Path("data") / "cache.sqlite3"
#: ``scheme:`` at the start of a value (two letters at least, so ``C:\`` stays a path).
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


class SettingsError(UserInputError):
    """A setting has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    source: str = "yahoo"
    #: The server store: users' baskets, subscriptions, posted slots (SQLite file)...
    db_path: Path = DEFAULT_DB
    #: ...or, when MARKETBOT_DB is ``postgresql://…``, that URL (it holds the password:
    #: never in repr or logs; :attr:`db_location` is the form to show).
    db_url: str | None = field(default=None, repr=False)
    #: The market cache: prices and fundamentals, rebuildable.
    cache_path: Path = DEFAULT_CACHE
    yahoo_base_url: str | None = None
    discord_token: str | None = field(default=None, repr=False)
    dev_guild_id: int | None = None
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    log_dir: Path = Path("logs")
    log_level: str = "INFO"
    #: None: one gateway connection, as a small bot runs. Else the shards this process runs.
    shards: ShardPlan | None = None
    #: Worker processes that draw charts; 0 draws in the bot's own threads.
    chart_workers: int = 0

    @property
    def csv_folder(self) -> Path | None:
        return Path(self.source[4:]).expanduser() if self.source.startswith("csv:") else None

    @property
    def has_token(self) -> bool:
        return bool(self.discord_token)

    @property
    def server_store(self) -> Path | str:
        """What opens the server store: the PostgreSQL URL if set, else the SQLite path."""
        return self.db_url or self.db_path

    @property
    def db_location(self) -> str:
        if self.db_url is None:
            return str(self.db_path)
        from analytics.server.pg_url import redact

        return redact(self.db_url)

    @property
    def secrets(self) -> list[str]:
        """Values no log line may contain: the token and the database password."""
        found = [self.discord_token or ""]
        if self.db_url:
            from analytics.server.pg_url import password_of

            found.append(password_of(self.db_url) or "")
        return [s for s in found if s]


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv_path: Path | str | None = ".env"
) -> Settings:
    """Read settings; ``environ`` defaults to ``os.environ`` merged over ``.env``."""
    values: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        v = values.get(name)
        return v.strip() if v and v.strip() else None

    source = get("MARKETBOT_SOURCE") or "yahoo"
    if source != "yahoo" and not (source.startswith("csv:") and len(source) > 4):
        raise SettingsError(
            f"MARKETBOT_SOURCE={source[:40]!r} is not accepted: use 'yahoo' or 'csv:DIR'."
        )
    if source.startswith("csv:") and not Path(source[4:]).expanduser().is_dir():
        raise SettingsError(f"MARKETBOT_SOURCE: folder {source[4:]!r} does not exist.")

    def integer(name: str) -> int | None:
        raw = get(name)
        if raw is None:
            return None
        if not raw.isdigit():
            raise SettingsError(f"{name} must be a number (a Discord id), got {raw[:30]!r}.")
        return int(raw)

    raw_db = get("MARKETBOT_DB")
    db_url = None
    if raw_db is not None and raw_db.startswith(("postgresql://", "postgres://")):
        from analytics.server.pg_url import check_url

        check_url(raw_db)  # a malformed URL is one line now, not a failure at first use
        db_url, raw_db = raw_db, None
    db_path = sqlite_file("MARKETBOT_DB", raw_db, DEFAULT_DB)
    cache_path = sqlite_file("MARKETBOT_CACHE", get("MARKETBOT_CACHE"), DEFAULT_CACHE)
    if db_url is None and db_path.resolve() == cache_path.resolve():
        raise SettingsError(
            f"MARKETBOT_CACHE and MARKETBOT_DB are both {str(db_path)[:60]!r}: the market cache "
            "may be deleted at any time, so it needs a file of its own."
        )
    return Settings(
        source=source,
        db_path=db_path,
        db_url=db_url,
        cache_path=cache_path,
        yahoo_base_url=(get("MARKETBOT_YAHOO_BASE_URL") or "").rstrip("/") or None,
        discord_token=get("DISCORD_TOKEN"),
        dev_guild_id=integer("MARKETBOT_DEV_GUILD_ID"),
        discord_api_base_url=get("DISCORD_API_BASE_URL"),
        discord_gateway_url=get("DISCORD_GATEWAY_URL"),
        log_dir=Path(get("MARKETBOT_LOG_DIR") or "logs"),
        log_level=(get("MARKETBOT_LOG_LEVEL") or "INFO").upper(),
        shards=shard_plan(get("MARKETBOT_SHARD_COUNT"), get("MARKETBOT_SHARD_IDS")),
        chart_workers=_chart_workers(get("MARKETBOT_CHART_WORKERS")),
    )


def _chart_workers(raw: str | None) -> int:
    """``MARKETBOT_CHART_WORKERS``: a number from 0 to 16; by default one per core."""
    if raw is None:
        return os.cpu_count() or 1
    if not raw.isdigit() or int(raw) > MAX_CHART_WORKERS:
        raise SettingsError(
            f"MARKETBOT_CHART_WORKERS must be a number from 0 to {MAX_CHART_WORKERS} "
            f"(0 draws in the bot's own threads), got {raw[:30]!r}."
        )
    return int(raw)


def sqlite_file(name: str, raw: str | None, default: Path) -> Path:
    """The path a store setting names, or the one-line error saying what is accepted.

    The one place that decides what a store setting may be: today a SQLite file path for
    both. A URL (``postgresql://…``) is refused rather than taken for a folder named
    ``postgresql:``; the message shows only its scheme, since a URL may carry a password.
    """
    if raw is None:
        return default
    url = _URL.match(raw)
    if url:
        also = " or postgresql://user:password@host:port/database" if name == "MARKETBOT_DB" else ""
        raise SettingsError(
            f"{name}: {url.group(1)}: URLs are not accepted; use a path to a SQLite file{also} "
            f"(default {default})."
        )
    path = Path(raw).expanduser()
    if path.is_dir():
        raise SettingsError(
            f"{name}: {raw[:60]!r} is a folder; use a path to a SQLite file (default {default})."
        )
    return path

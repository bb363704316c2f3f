"""Settings from the environment and an optional ``.env`` file.

The environment wins over ``.env`` (python-dotenv with ``override=False``), so a deployment
can keep defaults in the file and secrets in the environment. The Discord token is only
ever read here and is hidden from ``repr`` so it cannot leak into logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from analytics.errors import UserInputError
from bot.shards import ShardPlan, shard_plan

DEFAULT_DB = Path("data") / "marketbot.sqlite3"
MAX_CHART_WORKERS = 16


class SettingsError(UserInputError):
    """A setting has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    source: str = "yahoo"
    db_path: Path = DEFAULT_DB
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

    return Settings(
        source=source,
        db_path=Path(get("MARKETBOT_DB") or DEFAULT_DB).expanduser(),
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

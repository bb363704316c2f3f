"""Settings from the environment and ``.env`` (the environment wins)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.errors import UserInputError
from bot.settings import DEFAULT_CACHE, DEFAULT_DB, Settings, SettingsError, load_settings


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings({}, dotenv_path=tmp_path / "absent.env")
    assert settings.source == "yahoo" and settings.csv_folder is None
    assert settings.db_path == DEFAULT_DB == Path("data") / "marketbot.sqlite3"
    assert settings.cache_path == DEFAULT_CACHE == Path("data") / "cache.sqlite3"
    assert settings.yahoo_base_url is None
    assert not settings.has_token


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    folder = tmp_path / "csvs"
    folder.mkdir()
    env = write_env(
        tmp_path,
        f"MARKETBOT_SOURCE=csv:{folder}\n"
        "MARKETBOT_DB=from-dotenv.sqlite3\n"
        "MARKETBOT_CACHE=cache-from-dotenv.sqlite3\n"
        "MARKETBOT_YAHOO_BASE_URL=http://127.0.0.1:9/\n"
        "DISCORD_TOKEN=secret-from-file\n",
    )
    from_file = load_settings({}, dotenv_path=env)
    assert from_file.source == f"csv:{folder}" and from_file.csv_folder == folder
    assert from_file.db_path == Path("from-dotenv.sqlite3")
    assert from_file.cache_path == Path("cache-from-dotenv.sqlite3")
    assert from_file.yahoo_base_url == "http://127.0.0.1:9"  # trailing slash dropped
    assert from_file.discord_token == "secret-from-file"
    both = load_settings(
        {"MARKETBOT_DB": str(tmp_path / "env.sqlite3"), "MARKETBOT_SOURCE": "yahoo"},
        dotenv_path=env,
    )
    assert both.db_path == tmp_path / "env.sqlite3"
    assert both.source == "yahoo"
    assert both.yahoo_base_url == "http://127.0.0.1:9"  # not overridden: kept from the file


def test_process_environment_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARKETBOT_DB", str(tmp_path / "x.sqlite3"))
    monkeypatch.setenv("MARKETBOT_SOURCE", f"csv:{tmp_path}")
    settings = load_settings(dotenv_path=None)
    assert settings.db_path == tmp_path / "x.sqlite3"
    assert settings.csv_folder == tmp_path


def test_blank_values_fall_back_to_defaults(tmp_path: Path) -> None:
    settings = load_settings(
        {"MARKETBOT_SOURCE": "  ", "MARKETBOT_DB": "", "MARKETBOT_YAHOO_BASE_URL": "/"},
        dotenv_path=None,
    )
    assert (settings.source, settings.db_path, settings.yahoo_base_url) == (
        "yahoo", DEFAULT_DB, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MARKETBOT_SOURCE": "s3://bucket"}, "MARKETBOT_SOURCE='s3://bucket' is not accepted"),
        ({"MARKETBOT_SOURCE": "csv:"}, "is not accepted: use 'yahoo' or 'csv:DIR'"),
        ({"MARKETBOT_SOURCE": "csv:/no/such/folder"}, "folder '/no/such/folder' does not exist"),
        ({"MARKETBOT_DEV_GUILD_ID": "my-server"}, "MARKETBOT_DEV_GUILD_ID must be a number"),
        (
            # postgresql:// is the PostgreSQL server store (issue 15); other URLs are refused.
            {"MARKETBOT_DB": "mysql://bot:hunter2@db.example:5432/marketbot"},
            "MARKETBOT_DB: mysql: URLs are not accepted; use a path to a SQLite file or "
            "postgresql://user:password@host:port/database (default data/marketbot.sqlite3).",
        ),
        ({"MARKETBOT_DB": "sqlite:///data/x.db"}, "MARKETBOT_DB: sqlite: URLs are not accepted"),
        ({"MARKETBOT_CACHE": "redis://cache:6379"}, "MARKETBOT_CACHE: redis: URLs are not"),
        ({"MARKETBOT_CACHE": "file:cache.db"}, "MARKETBOT_CACHE: file: URLs are not accepted"),
        ({"MARKETBOT_DB": "/"}, "MARKETBOT_DB: '/' is a folder; use a path to a SQLite file"),
        (
            {"MARKETBOT_DB": "data/one.sqlite3", "MARKETBOT_CACHE": "./data/../data/one.sqlite3"},
            "MARKETBOT_CACHE and MARKETBOT_DB are both 'data/one.sqlite3': the market cache "
            "may be deleted at any time, so it needs a file of its own.",
        ),
        (
            {"MARKETBOT_CACHE": str(DEFAULT_DB)},
            "MARKETBOT_CACHE and MARKETBOT_DB are both 'data/marketbot.sqlite3'",
        ),
    ],
)
def test_unusable_values_are_one_clear_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(env, dotenv_path=None)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, UserInputError)  # the console exits 2
    assert "hunter2" not in str(info.value)  # a URL's password is never echoed


def test_store_paths_are_kept_as_given(tmp_path: Path) -> None:
    settings = load_settings(
        {"MARKETBOT_DB": "~/bot/users.sqlite3", "MARKETBOT_CACHE": str(tmp_path / "c.db")},
        dotenv_path=None,
    )
    assert settings.db_path == Path("~/bot/users.sqlite3").expanduser()
    assert settings.cache_path == tmp_path / "c.db"


def test_the_token_never_shows_in_repr(tmp_path: Path) -> None:
    settings = load_settings({"DISCORD_TOKEN": "very-secret"}, dotenv_path=None)
    assert settings.has_token
    assert "very-secret" not in repr(settings)
    assert "very-secret" not in repr(Settings(discord_token="very-secret"))


def test_a_postgresql_url_puts_the_server_store_there_and_hides_the_password() -> None:
    url = "postgresql://bot:hunter2-secret@db.internal:5433/marketbot"
    settings = load_settings({"MARKETBOT_DB": url}, dotenv_path=None)
    assert settings.db_url == url and settings.server_store == url
    assert settings.db_location == "postgresql://bot:***@db.internal:5433/marketbot"
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" in settings.secrets  # so the log filter redacts it
    assert settings.cache_path == Path("data") / "cache.sqlite3"  # the cache stays local


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("postgresql://bot:pw@db:port/x", "MARKETBOT_DB: not a usable PostgreSQL URL"),
        ("postgresql://bot:pw@db:5432", "needs a host and a database name"),
        ("mysql://bot:pw@db/x", "use a path to a SQLite file or postgresql://"),
    ],
)
def test_a_malformed_database_url_is_one_line(value: str, line: str) -> None:
    with pytest.raises(UserInputError) as raised:
        load_settings({"MARKETBOT_DB": value}, dotenv_path=None)
    assert line in str(raised.value)
    assert ":pw@" not in str(raised.value) and "\n" not in str(raised.value)

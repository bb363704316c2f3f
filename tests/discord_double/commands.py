"""Application command validation and storage, as Discord does it on bulk overwrite.

discord.py checks names and the 100-command limit locally but not the rest, so a command that
only Discord would reject (a 101-character explicit description, a required option after an
optional one...) must fail here too, or the bug reaches production. Errors use Discord's
nested 50035 shape, which discord.py turns into a readable CommandSyncFailure.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from .payloads import Snowflakes

CHAT_INPUT = 1
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
CHOICE_TYPES = (STRING, INTEGER, NUMBER)
MAX_GLOBAL_CHAT_INPUT = 100
MAX_COMMAND_CHARS = 8000

_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")

Errors = dict[str, Any]


def _err(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def _put(errors: Errors, path: list[str], error: dict[str, Any]) -> None:
    node = errors
    for key in path:
        node = node.setdefault(key, {})
    node.setdefault("_errors", []).extend(error["_errors"])


def _check_length(errors: Errors, path: list[str], value: Any, low: int, high: int) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        _put(
            errors,
            path,
            _err("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length."),
        )


def _check_name(errors: Errors, path: list[str], name: Any, *, chat_input: bool) -> None:
    _check_length(errors, path, name, 1, 32)
    if chat_input and isinstance(name, str) and 1 <= len(name) <= 32:
        if not _NAME_RE.match(name) or name != name.lower():
            code = "APPLICATION_COMMAND_INVALID_NAME"
            _put(errors, path, _err(code, "Command name is invalid"))


def _check_localizations(errors: Errors, path: list[str], values: Any, high: int) -> None:
    for locale, text in (values or {}).items():
        _check_length(errors, [*path, locale], text, 1, high)


def _check_choices(errors: Errors, path: list[str], option: dict[str, Any]) -> None:
    choices = option.get("choices") or []
    if not choices:
        return
    if option.get("type") not in CHOICE_TYPES:
        _put(
            errors,
            path,
            _err(
                "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
                "Choices are not allowed for this option type.",
            ),
        )
    if option.get("autocomplete"):
        _put(
            errors,
            [*path[:-1], "autocomplete"],
            _err("AUTOCOMPLETE_AND_CHOICES", "Autocomplete cannot be set with choices."),
        )
    if len(choices) > 25:
        _put(errors, path, _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    for index, choice in enumerate(choices):
        cpath = [*path, str(index)]
        _check_length(errors, [*cpath, "name"], choice.get("name"), 1, 100)
        _check_localizations(
            errors, [*cpath, "name_localizations"], choice.get("name_localizations"), 100
        )
        value = choice.get("value")
        if option.get("type") == STRING:
            _check_length(errors, [*cpath, "value"], value, 1, 100)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            _put(
                errors,
                [*cpath, "value"],
                _err("NUMBER_TYPE_COERCE", "Value is not a valid number."),
            )


def _check_options(errors: Errors, path: list[str], options: Any, *, depth: int) -> None:
    """`depth` 0: a command's options; 1: a group's or subcommand's; 2: a grouped subcommand's."""
    options = options or []
    if len(options) > 25:
        _put(errors, path, _err("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    seen: set[str] = set()
    optional_seen = False
    kinds = {o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options}
    if len(kinds) > 1:
        _put(
            errors,
            path,
            _err(
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Sub-command and sub-command group option types are mutually exclusive to all other types",
            ),
        )
    for index, option in enumerate(options):
        opath = [*path, str(index)]
        kind = option.get("type")
        _check_name(errors, [*opath, "name"], option.get("name"), chat_input=True)
        _check_localizations(
            errors, [*opath, "name_localizations"], option.get("name_localizations"), 32
        )
        _check_length(errors, [*opath, "description"], option.get("description"), 1, 100)
        _check_localizations(
            errors,
            [*opath, "description_localizations"],
            option.get("description_localizations"),
            100,
        )
        name = option.get("name")
        if name in seen:
            _put(
                errors,
                [*opath, "name"],
                _err(
                    "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Option names must be unique"
                ),
            )
        seen.add(name)
        if kind == SUB_COMMAND_GROUP:
            if depth != 0:
                _put(
                    errors,
                    [*opath, "type"],
                    _err(
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "Sub-command groups can only be nested one level deep",
                    ),
                )
            children = option.get("options") or []
            if any(child.get("type") != SUB_COMMAND for child in children):
                _put(
                    errors,
                    [*opath, "options"],
                    _err(
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "Sub-command groups can only contain sub-commands",
                    ),
                )
            _check_options(errors, [*opath, "options"], children, depth=depth + 1)
        elif kind == SUB_COMMAND:
            if depth > 1:
                _put(
                    errors,
                    [*opath, "type"],
                    _err(
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "Sub-commands can only be nested in a command or a group",
                    ),
                )
            _check_options(errors, [*opath, "options"], option.get("options"), depth=2)
        elif kind in (
            STRING,
            INTEGER,
            BOOLEAN,
            USER,
            CHANNEL,
            ROLE,
            MENTIONABLE,
            NUMBER,
            ATTACHMENT,
        ):
            if option.get("options"):
                _put(
                    errors,
                    [*opath, "options"],
                    _err(
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "Only sub-commands and groups can have options",
                    ),
                )
            if option.get("required"):
                if optional_seen:
                    _put(
                        errors,
                        [*opath, "required"],
                        _err(
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options",
                        ),
                    )
            else:
                optional_seen = True
            _check_choices(errors, [*opath, "choices"], option)
        else:
            _put(
                errors,
                [*opath, "type"],
                _err(
                    "BASE_TYPE_CHOICES",
                    f"Value must be one of {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}}, got {kind!r}.",
                ),
            )


def command_chars(command: dict[str, Any]) -> int:
    """Characters Discord counts toward the 8000 limit: names, descriptions, choice values."""
    total = 0
    for key in ("name", "description"):
        total += len(str(command.get(key) or ""))
    for key in ("name_localizations", "description_localizations"):
        total += sum(len(str(v)) for v in (command.get(key) or {}).values())
    for choice in command.get("choices") or []:
        total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
        total += sum(len(str(v)) for v in (choice.get("name_localizations") or {}).values())
    return total + sum(command_chars(o) for o in command.get("options") or [])


def validate_commands(commands: Any, *, is_global: bool) -> Errors | None:
    """The `errors` object of a 50035 answer, or None when Discord would accept the list."""
    if not isinstance(commands, list):
        return _err("BASE_TYPE_ARRAY", "Must be an array.")
    chat_input = [c for c in commands if isinstance(c, dict) and c.get("type", 1) == CHAT_INPUT]
    if is_global and len(chat_input) > MAX_GLOBAL_CHAT_INPUT:
        return _err("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_GLOBAL_CHAT_INPUT} or fewer in length.")
    errors: Errors = {}
    seen: set[tuple[Any, Any]] = set()
    for index, command in enumerate(commands):
        path = [str(index)]
        if not isinstance(command, dict):
            _put(
                errors,
                path,
                _err("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"),
            )
            continue
        kind = command.get("type", 1)
        is_chat = kind == CHAT_INPUT
        _check_name(errors, [*path, "name"], command.get("name"), chat_input=is_chat)
        _check_localizations(
            errors, [*path, "name_localizations"], command.get("name_localizations"), 32
        )
        key = (kind, command.get("name"))
        if key in seen:
            _put(
                errors,
                [*path, "name"],
                _err(
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {command.get('name')}",
                ),
            )
        seen.add(key)
        if is_chat:
            _check_length(errors, [*path, "description"], command.get("description"), 1, 100)
            _check_localizations(
                errors,
                [*path, "description_localizations"],
                command.get("description_localizations"),
                100,
            )
            _check_options(errors, [*path, "options"], command.get("options"), depth=0)
        elif command.get("description") or command.get("options"):
            _put(
                errors,
                [*path, "description"],
                _err(
                    "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                    "Context menu commands cannot have description or options",
                ),
            )
    if errors:
        return errors
    if any(command_chars(c) > MAX_COMMAND_CHARS for c in commands):
        return _err(
            "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({MAX_COMMAND_CHARS})"
        )
    return None


@dataclass
class CommandStore:
    """Synced commands per scope (None = global, else a guild id), with ids kept across syncs."""

    application_id: int
    ids: Snowflakes
    scopes: dict[int | None, list[dict[str, Any]]] = field(default_factory=dict)

    def overwrite(self, scope: int | None, payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace a scope's commands, keeping id (and version if unchanged) per (type, name)."""
        old = {(c["type"], c["name"]): c for c in self.scopes.get(scope, [])}
        stored: list[dict[str, Any]] = []
        for command in payload:
            data = copy.deepcopy(command)
            data.setdefault("type", CHAT_INPUT)
            data.setdefault("description", "")
            data.setdefault("options", [])
            previous = old.get((data["type"], data["name"]))
            data["id"] = previous["id"] if previous else str(self.ids.next())
            data["application_id"] = str(self.application_id)
            if scope is not None:
                data["guild_id"] = str(scope)
            same = previous and _content(previous) == _content(data)
            data["version"] = previous["version"] if same else str(self.ids.next())
            stored.append(data)
        self.scopes[scope] = stored
        return copy.deepcopy(stored)

    def list(self, scope: int | None) -> list[dict[str, Any]]:
        return copy.deepcopy(self.scopes.get(scope, []))

    def find(
        self, name: str, guild_id: int | None, kind: int = CHAT_INPUT
    ) -> dict[str, Any] | None:
        """The command a user would run in `guild_id`: guild commands shadow global ones."""
        scopes = ([guild_id] if guild_id is not None else []) + [None]
        for scope in scopes:
            for command in self.scopes.get(scope, []):
                if command["name"] == name and command["type"] == kind:
                    return command
        return None


def _content(command: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in command.items() if k not in ("id", "version", "application_id")}

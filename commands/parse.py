"""Parse a command line as typed in Discord: ``/returns target:mag7 start:2024-12-31``.

Option names are known from the command's spec, so a value runs until the next
``name:`` of that command: values may contain spaces and colons (``time:18:00``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from analytics.errors import UserInputError
from commands.spec import AnySpec, CommandSpec, GroupSpec, Option


def parse_invocation(
    text: str, specs: Sequence[AnySpec]
) -> tuple[CommandSpec, str, dict[str, Any]]:
    """Return (command, full name, converted options) or raise :class:`UserInputError`."""
    line = text.strip()
    if not line.startswith("/"):
        raise UserInputError("A command starts with '/', e.g. /returns target:mag7 period:ytd.")
    words = line[1:].split(None, 2)
    if not words:
        raise UserInputError("Empty command. Try /help.")
    names = [s.name for s in specs]
    top = next((s for s in specs if s.name == words[0].lower()), None)
    if top is None:
        raise UserInputError(f"Unknown command /{words[0][:20]}. Commands: /{', /'.join(names)}.")
    rest = line[1:].split(None, 1)[1] if len(words) > 1 else ""
    full = top.name
    if isinstance(top, GroupSpec):
        subs = [c.name for c in top.subcommands]
        sub_word = rest.split(None, 1)[0].lower() if rest else ""
        spec = top.sub(sub_word)
        if spec is None:
            raise UserInputError(f"/{top.name} needs a subcommand: {', '.join(subs)}.")
        rest = rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
        full = f"{top.name} {spec.name}"
    else:
        spec = top
    raw = split_options(rest, spec)
    return spec, full, convert_options(spec, raw)


def split_options(text: str, spec: CommandSpec) -> dict[str, str]:
    """Split ``a:1 b:two words`` into ``{"a": "1", "b": "two words"}`` using known names."""
    text = text.strip()
    if not text:
        return {}
    names = sorted((o.name for o in spec.options), key=len, reverse=True)
    if not names:
        raise UserInputError(f"/{spec.name} takes no options.")
    pattern = re.compile(r"(?:(?<=\s)|^)(" + "|".join(map(re.escape, names)) + r"):", re.IGNORECASE)
    matches = list(pattern.finditer(text))
    if not matches or matches[0].start() != 0:
        leading = text[: matches[0].start()] if matches else text
        shown = leading.split(":")[0].strip()[:20]
        raise UserInputError(
            f"/{spec.name}: '{shown}' is not an option. Options: "
            + ", ".join(f"{o.name}:" for o in spec.options)
            + "."
        )
    out: dict[str, str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        name = m.group(1).lower()
        if name in out:
            raise UserInputError(f"/{spec.name}: option {name}: given twice.")
        value = text[m.end() : end].strip()
        # "target:mag7 colour:red" would otherwise read "mag7 colour:red" as the target
        # and complain about a symbol; name the stray option instead.
        stray = _STRAY_OPTION.search(value)
        if stray:
            raise UserInputError(
                f"/{spec.name}: '{stray.group(1)[:20]}' is not an option. Options: "
                + ", ".join(f"{o.name}:" for o in spec.options)
                + "."
            )
        out[name] = value
    return out


#: ``name:value`` after a space inside a value: an option the command does not have.
#: (Values such as ``18:00`` or ``http://x`` at the start of a value are left alone.)
_STRAY_OPTION = re.compile(r"\s([A-Za-z][A-Za-z0-9_]*):(?=\S)")


def convert_options(spec: CommandSpec, raw: dict[str, Any]) -> dict[str, Any]:
    """Check names, required options, choices and types; the same for console and Discord."""
    by_name = {o.name: o for o in spec.options}
    out: dict[str, Any] = {}
    for name, value in raw.items():
        option = by_name.get(name)
        if option is None:
            raise UserInputError(f"/{spec.name} has no option {name[:20]}:.")
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        out[name] = _convert(spec, option, value)
    missing = [o.name for o in spec.options if o.required and o.name not in out]
    if missing:
        raise UserInputError(
            f"/{spec.name} needs {', '.join(m + ':' for m in missing)}"
            + (f" — e.g. {spec.example}" if spec.example else "")
        )
    return out


#: Discord accepts integer and number options between -2**53 and 2**53.
_MAX_NUMBER = 2**53


def _shown(value: Any, limit: int = 20) -> str:
    """User text echoed in an error, without control or format characters: a right-to-left
    override or a zero-width character would make the message show something else."""
    return "".join(ch for ch in str(value)[:limit] if unicodedata.category(ch)[0] != "C")


def _convert(spec: CommandSpec, option: Option, value: Any) -> Any:
    label = f"{option.name}"
    if option.kind in ("integer", "number"):
        try:
            number = int(value) if option.kind == "integer" else float(value)
        except (TypeError, ValueError):
            raise UserInputError(f"{label}: '{_shown(value)}' is not a number.") from None
        # Discord's own limit; larger integers would also overflow SQLite (a crash, not
        # an answer), and NaN would slip past every comparison below.
        if abs(number) > _MAX_NUMBER or number != number:
            raise UserInputError(f"{label}: '{_shown(value)}' is out of range.")
        if option.min_value is not None and number < option.min_value:
            raise UserInputError(f"{label}: must be at least {option.min_value:g}.")
        if option.max_value is not None and number > option.max_value:
            raise UserInputError(f"{label}: must be at most {option.max_value:g}.")
        return number
    if option.kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1", "on"):
            return True
        if text in ("false", "no", "0", "off"):
            return False
        raise UserInputError(f"{label}: use true or false.")
    if option.kind == "channel":
        if isinstance(value, int):
            return value
        text = str(value).strip().removeprefix("<#").removesuffix(">")
        if not text.isdigit() or len(text) > 20:
            raise UserInputError(
                f"{label}: give a channel: pick it in Discord, or its numeric id in the console."
            )
        return int(text)
    text = str(value).strip()
    if option.check is not None:
        option.check(text, option.name)
    if option.max_length is not None and len(text) > option.max_length:
        raise UserInputError(f"{label}: at most {option.max_length} characters.")
    if option.choices:
        lowered = text.lower()
        if lowered not in option.choices:
            raise UserInputError(
                f"{label}: '{_shown(text)}' is not accepted; use one of {', '.join(option.choices)}."
            )
        return lowered
    return text

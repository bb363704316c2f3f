"""Run the ``marketbot`` command line while recording every network connection it makes.

Usage: ``python -m tests.reliability.netaudit OUT.json -- ARGS...`` runs
``bot.cli.main(ARGS)`` and, when the process exits (also after SIGTERM, which the bot
handles by closing cleanly), writes what it saw to OUT.json:

* ``connect``: every ``socket.connect`` address (Python's audit hook: aiohttp, urllib,
  anything on Python sockets, which is how discord.py talks to Discord);
* ``getaddrinfo``: every host name looked up;
* ``curl``: every URL requested through curl_cffi (libcurl's sockets are not Python's, so
  its ``Session.request`` is wrapped: the request itself still happens). yfinance uses it.
"""

from __future__ import annotations

import atexit
import json
import sys
from pathlib import Path
from typing import Any

EVENTS: dict[str, list[Any]] = {"connect": [], "getaddrinfo": [], "curl": []}


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        address = args[1]
        EVENTS["connect"].append(list(address) if isinstance(address, tuple) else str(address))
    elif event == "socket.getaddrinfo":
        EVENTS["getaddrinfo"].append(str(args[0]))


def _record_curl() -> None:
    from curl_cffi import requests as curl_requests

    original = curl_requests.Session.request

    def request(self: Any, method: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        EVENTS["curl"].append(str(url))
        return original(self, method, url, *args, **kwargs)

    curl_requests.Session.request = request  # type: ignore[method-assign]


def main() -> int:
    out = Path(sys.argv[1])
    argv = sys.argv[sys.argv.index("--") + 1 :]
    atexit.register(lambda: out.write_text(json.dumps(EVENTS)))
    sys.addaudithook(_hook)
    _record_curl()
    from bot.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())

"""What the double saw, and how a test waits for it.

Waiting is by predicate over an append-only log, scanning what already arrived first, so a
test never races the bot: `await log.wait(pred)` returns at once if the request came before
the test started waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from multidict import CIMultiDict

T = TypeVar("T")


class DoubleTimeout(TimeoutError):
    """Nothing matching arrived in time; the message lists what did arrive, to debug."""


@dataclass
class RecordedFile:
    """One `files[n]` part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes
    #: The part's length; kept when a lean double drops ``data`` (see keep_files).
    size: int = -1

    def __post_init__(self) -> None:
        if self.size < 0:
            self.size = len(self.data)


@dataclass
class RecordedRequest:
    """One HTTP request to the double (`path` is relative to the API base, e.g. /users/@me)."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]  # case-insensitive: r.headers["authorization"] works
    json: Any
    files: list[RecordedFile]
    received_at: float  # time.monotonic() when it arrived
    body: bytes = b""
    status: int = 0  # what the double answered
    response: Any = None  # the JSON the double answered, if any
    unknown_route: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __repr__(self) -> str:
        query = "?" + "&".join(f"{k}={v}" for k, v in self.query.items()) if self.query else ""
        return f"<{self.method} {self.path}{query} -> {self.status}>"


@dataclass
class GatewayFrame:
    """A frame the client sent on the gateway (op, d), or a connection event (op None)."""

    op: int | None
    d: Any
    received_at: float
    event: str = ""  # "connect" / "disconnect" for connection events
    path: str = ""  # the websocket path used (the resume URL differs from the first one)
    session_id: str | None = None


@dataclass
class EventLog(Generic[T]):
    """An append-only list that coroutines can wait on (all on the double's event loop)."""

    items: list[T] = field(default_factory=list)
    _changed: asyncio.Future[None] | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def append(self, item: T) -> None:
        self.items.append(item)
        changed, self._changed = self._changed, None
        if changed is not None and not changed.done():
            changed.set_result(None)

    def matching(self, predicate: Callable[[T], bool], *, after: int = 0) -> list[T]:
        return [item for item in self.items[after:] if _safe(predicate, item)]

    async def wait(
        self,
        predicate: Callable[[T], bool],
        *,
        timeout: float,
        count: int = 1,
        after: int = 0,
        what: str = "a matching item",
    ) -> list[T]:
        """The first `count` items from index `after` on that match, waiting for them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.matching(predicate, after=after)
            if len(found) >= count:
                return found[:count]
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(repr(i) for i in self.items[-15:]) or "(nothing)"
                raise DoubleTimeout(
                    f"timed out after {timeout}s waiting for {what} "
                    f"({len(found)}/{count} found); last received:\n  {recent}"
                )
            if self._changed is None or self._changed.done():
                self._changed = loop.create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._changed), remaining)
            except TimeoutError:
                continue


def _safe(predicate: Callable[[T], bool], item: T) -> bool:
    """A predicate that raises (say, r.json["type"] on a request without JSON) is a no-match."""
    try:
        return bool(predicate(item))
    except Exception:
        return False

"""Run the double on its own event loop in a background thread.

For a bot in a subprocess (or any code that blocks the test's loop): the double keeps
answering while the test waits. Its coroutines must run on its own loop, so call them through
`run` (blocking, from sync code) or `arun` (from another event loop)::

    with run_in_thread() as threaded:
        proc = subprocess.Popen([...], env={**os.environ, **threaded.double.env(), ...})
        threaded.run(threaded.double.wait_for(lambda r: r.method == "PUT", timeout=30))
        handle = threaded.run(threaded.double.send_slash("price", {"symbol": "AAPL"}))
        reply = threaded.run(handle.wait_reply(timeout=10))
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from . import DiscordDouble

T = TypeVar("T")


@dataclass
class ThreadedDouble:
    double: DiscordDouble
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the double's loop and block until it is done."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await, from another event loop, a coroutine run on the double's loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.double.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def __enter__(self) -> ThreadedDouble:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(**kwargs: Any) -> ThreadedDouble:
    """Start a DiscordDouble(**kwargs) in a daemon thread; returns once it listens."""
    from . import DiscordDouble

    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    def main() -> None:
        asyncio.set_event_loop(loop)

        async def boot() -> None:
            double = DiscordDouble(**kwargs)
            await double.start()
            holder["double"] = double

        try:
            loop.run_until_complete(boot())
        except BaseException as exc:  # report to the starting thread
            holder["error"] = exc
            started.set()
            return
        started.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=main, name="discord-double", daemon=True)
    thread.start()
    started.wait(10)
    if "error" in holder:
        raise RuntimeError("the Discord double failed to start") from holder["error"]
    if "double" not in holder:
        raise RuntimeError("the Discord double did not start within 10 s")
    return ThreadedDouble(holder["double"], loop, thread)

"""An injectable clock and sleep for schedulers: days of schedule run without waiting.

``FakeTime`` is both the clock (``fake()`` -> aware UTC datetime) and the sleep
(``await fake.sleep(seconds)``). A sleep returns only when the test moves time past its
deadline (``fake.advance(...)`` / ``fake.set(...)``), so nothing happens "by itself".
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta


class FakeTime:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> asyncio.Future[None]:
        """Like ``asyncio.sleep`` but on this clock. Not a coroutine function on purpose:
        the deadline is fixed when it is called, as a real sleep's is, even if the test
        moves time before the caller first awaits it."""
        self.slept.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        deadline = self.now + timedelta(seconds=seconds)
        if deadline <= self.now:
            future.set_result(None)
            return future
        entry = (deadline, future)
        self._sleepers.append(entry)
        future.add_done_callback(lambda _: entry in self._sleepers and self._sleepers.remove(entry))
        return future

    def set(self, when: datetime) -> None:
        self.now = when
        for deadline, future in list(self._sleepers):
            if deadline <= when and not future.done():
                future.set_result(None)

    def advance(self, **delta: float) -> None:
        self.set(self.now + timedelta(**delta))

    @property
    def sleeping_until(self) -> list[datetime]:
        return sorted(d for d, f in self._sleepers if not f.done())

    async def wait_sleeping(self, timeout: float = 10.0) -> datetime:
        """Until someone sleeps on this clock; the earliest deadline (real-time bounded)."""
        async with asyncio.timeout(timeout):
            while not self.sleeping_until:
                await asyncio.sleep(0.005)
        return self.sleeping_until[0]

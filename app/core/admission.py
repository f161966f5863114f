"""Admission: how many requests the service works on at once, the others waiting their turn.

A worker has one core's worth of Python to give. Requests let in beyond a few do not finish
sooner: they take turns at the interpreter lock and the connection pool with the ones already
in, so every one of them finishes late, and the slowest very late. Letting in a few at a time, in
the order they came, keeps each request's time near the time its own work takes plus its wait in
line: at 32 concurrent writers on PostgreSQL 100k, a create's p99 fell from 375 to 237 ms
(bench/README.md, 4 December).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from app.core.errors import ServiceBusyError


class Admission:
    """At most `limit` requests in progress; the rest wait, first come first served, for at
    most `wait_seconds` before they are turned away with 503."""

    def __init__(self, limit: int, wait_seconds: float) -> None:
        # anyio's limiter hands a freed place to the longest waiter, never to a newcomer.
        self._places = anyio.CapacityLimiter(limit)
        self.wait_seconds = wait_seconds

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        # A borrower of its own: the limiter would take the task for the borrower, and one task
        # may hold a place while it makes a request in process (as tests do).
        borrower = object()
        with anyio.move_on_after(self.wait_seconds) as waiting:
            await self._places.acquire_on_behalf_of(borrower)
        if waiting.cancelled_caught:
            raise ServiceBusyError(
                f"The service is busy: this request waited {self.wait_seconds:g} s for its turn "
                "and nothing of it was done. Retry shortly."
            )
        try:
            yield
        finally:
            self._places.release_on_behalf_of(borrower)

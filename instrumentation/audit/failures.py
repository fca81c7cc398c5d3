"""Failed authentications per client over a sliding window, in bounded memory.

A brute-force alert needs "failed logins from one client", but a client label would be
unbounded. The window keeps per-client counts in process (never exported) and the gauge
``audit_authentication_failures_top_client`` reports only the largest one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable

#: Seconds the top client's failures are counted over.
WINDOW_SECONDS = 300
#: Width of one counting slot: a client costs at most WINDOW_SECONDS / SLOT_SECONDS pairs.
SLOT_SECONDS = 10
#: Clients tracked at once; past it the one whose last failure is oldest is forgotten.
MAX_CLIENTS = 10_000


class FailureWindow:
    """Failures per client in slots of :data:`SLOT_SECONDS` over :data:`WINDOW_SECONDS`."""

    def __init__(self, clock: Callable[[], float], max_clients: int = MAX_CLIENTS) -> None:
        self._clock = clock
        self._max_clients = max_clients
        self._clients: OrderedDict[str, deque[list[int]]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, client: str) -> None:
        """Count one failed authentication of ``client``."""
        slot = int(self._clock() // SLOT_SECONDS)
        with self._lock:
            slots = self._clients.get(client)
            if slots is None:
                slots = self._clients[client] = deque()
                if len(self._clients) > self._max_clients:
                    self._clients.popitem(last=False)
            else:
                self._clients.move_to_end(client)
            if slots and slots[-1][0] == slot:
                slots[-1][1] += 1
            else:
                slots.append([slot, 1])
            self._expire(slots, slot)

    def top(self) -> int:
        """The most failures one client had in the window ending now (0 when none)."""
        slot = int(self._clock() // SLOT_SECONDS)
        best = 0
        with self._lock:
            for client in list(self._clients):
                slots = self._clients[client]
                self._expire(slots, slot)
                if not slots:
                    del self._clients[client]
                    continue
                best = max(best, sum(count for _, count in slots))
        return best

    @staticmethod
    def _expire(slots: deque[list[int]], now_slot: int) -> None:
        oldest = now_slot - WINDOW_SECONDS // SLOT_SECONDS + 1
        while slots and slots[0][0] < oldest:
            slots.popleft()

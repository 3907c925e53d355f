"""Refuses a webhook delivery seen before (same id, timestamp and signature).

A provider's retry carries the same `webhook-id` with a new timestamp and signature, so it
passes; a captured request sent again within the tolerance window does not. Entries expire
with the window, so memory stays bounded by the delivery rate times 5 minutes. The guard is
per API process: run one, or front several with sticky routing by `webhook-id`.
"""

from __future__ import annotations

import time
from collections import OrderedDict


class ReplayGuard:
    def __init__(self, window_seconds: int = 300) -> None:
        self.window = window_seconds
        self._seen: OrderedDict[tuple[str, str, str], float] = OrderedDict()

    def first_time(self, msg_id: str, timestamp: str, signature: str) -> bool:
        now = time.monotonic()
        while self._seen and next(iter(self._seen.values())) < now:
            self._seen.popitem(last=False)
        key = (msg_id, timestamp, signature)
        if key in self._seen:
            return False
        # Twice the window: a timestamp valid at the edge stays remembered until it expires.
        self._seen[key] = now + 2 * self.window
        return True

"""Heavy downloads (report files): rendered once per state of the data, a few at a time, within
a rate per client.

- **Cache**: a report file is kept under its address, language and the version of the published
  data (:func:`sipas.api.queries.public.version`, moved by every write that can change a report), so a
  file is rendered once per state of the data; any write makes the next request render afresh.
  Requests for a file being rendered wait for that one render instead of starting their own.
- **A few at a time**: at most ``report_renders`` renders run at once in a process (a PDF costs
  seconds of CPU); the others wait their turn, up to :data:`RENDER_WAIT_SECONDS`, then get 503.
- **Rate**: each client address may ask for ``report_rate`` files a minute (a token bucket, so a
  short burst is fine); beyond that the answer is 429 with Retry-After.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from sipas.errors import SipasError
from sipas.web.render import lang_of, render_error, wants_json

RENDER_WAIT_SECONDS = 60.0
CACHE_BYTES = 256 * 1024 * 1024
_BUCKETS_MAX = 10_000  # client addresses remembered; the oldest are forgotten first


@dataclass
class Rendered:
    body: bytes
    filename: str


class ReportGate:
    """The cache, the renders' semaphore and the clients' buckets of one app."""

    def __init__(self, renders: int, per_minute: int, cache_bytes: int = CACHE_BYTES) -> None:
        self.renders_allowed = max(1, renders)
        self.per_minute = max(1, per_minute)
        self.cache_bytes = cache_bytes
        self._renders = threading.BoundedSemaphore(self.renders_allowed)
        self._lock = threading.Lock()
        self._cache: OrderedDict[Any, Rendered] = OrderedDict()
        self._cached_bytes = 0
        self._inflight: dict[Any, threading.Lock] = {}
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        # What happened, for operators and tests.
        self.rendered = 0
        self.served_from_cache = 0
        self.active = 0
        self.most_active = 0

    # --- rate per client --------------------------------------------------------------------

    def wait_needed(self, client: str, now: float | None = None) -> float:
        """0 when ``client`` may go on (a token is taken), else the seconds until it may."""
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                tokens -= 1.0
                wait = 0.0
            else:
                wait = (1.0 - tokens) / rate
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > _BUCKETS_MAX:
                self._buckets.popitem(last=False)
        return wait

    # --- cache and renders ------------------------------------------------------------------

    def _cached(self, key: Any) -> Rendered | None:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                self.served_from_cache += 1
            return found

    def _keep(self, key: Any, rendered: Rendered) -> None:
        with self._lock:
            if len(rendered.body) > self.cache_bytes:
                return
            self._cache[key] = rendered
            self._cached_bytes += len(rendered.body)
            while self._cached_bytes > self.cache_bytes:
                _, dropped = self._cache.popitem(last=False)
                self._cached_bytes -= len(dropped.body)

    def get(self, key: Any, render: Callable[[], Rendered]) -> Rendered:
        """The file for ``key``, rendered by ``render`` only when no render of it is kept."""
        found = self._cached(key)
        if found is not None:
            return found
        with self._lock:
            one = self._inflight.setdefault(key, threading.Lock())
        with one:  # a second request for the same file waits for the first one's render
            found = self._cached(key)
            if found is not None:
                return found
            if not self._renders.acquire(timeout=RENDER_WAIT_SECONDS):
                raise SipasError("rate.busy", seconds=int(RENDER_WAIT_SECONDS))
            try:
                with self._lock:
                    self.active += 1
                    self.most_active = max(self.most_active, self.active)
                rendered = render()
                self.rendered += 1
            finally:
                with self._lock:
                    self.active -= 1
                self._renders.release()
            self._keep(key, rendered)
        with self._lock:
            self._inflight.pop(key, None)
        return rendered


def gate_of(request: Request) -> ReportGate:
    app = request.app
    gate: ReportGate | None = getattr(app.state, "report_gate", None)
    if gate is None:
        settings = app.state.settings
        gate = ReportGate(settings.report_renders, settings.report_rate)
        app.state.report_gate = gate
    return gate


def _refused(request: Request, error: SipasError, status: int, seconds: int) -> Response:
    headers = {"Retry-After": str(seconds)}
    if wants_json(request):
        return JSONResponse(error.to_dict(lang_of(request)), status_code=status, headers=headers)
    response = render_error(request, status, error)
    response.headers.update(headers)
    return response


def heavy_file(
    request: Request,
    version: Any,
    media_type: str,
    render: Callable[[], Rendered],
) -> Response:
    """A heavy file as a download: within the client's rate, from the cache when the data has
    not changed since it was rendered, else rendered (a few at a time)."""
    gate = gate_of(request)
    client = request.client.host if request.client else "unknown"
    wait = gate.wait_needed(client)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        return _refused(request, SipasError("rate.limited", seconds=seconds), 429, seconds)
    key = (request.url.path, request.url.query, lang_of(request), version)
    try:
        found = gate.get(key, render)
    except SipasError as error:
        if error.code != "rate.busy":
            raise
        return _refused(request, error, 503, int(RENDER_WAIT_SECONDS))
    return Response(
        found.body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )

"""The webhook dispatcher inside `linkhub serve`: one thread running passes of the delivery
engine every TICK seconds, and at once when an event is written (webhook_events.wakeup) or a
worker frees up. Stopping it leaves unsent deliveries pending in the table for the next start.
Never started by create_app or tests (they call webhook_delivery.deliver_due themselves)."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from linkhub.services import webhook_delivery, webhook_events

log = logging.getLogger(__name__)

TICK = 0.5
SETTLE = 0.05  # after a wake-up: the writer's transaction commits right after it signals


class Dispatcher:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="linkhub-webhook-dispatcher",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        wakeup = webhook_events.wakeup
        database = self.app.extensions["linkhub.db"]
        while not self._stop.is_set():
            if wakeup.wait(TICK):
                wakeup.clear()
                time.sleep(SETTLE)
            if self._stop.is_set():
                break
            try:
                with self.app.app_context():
                    webhook_delivery.engine(self.app).run_pass(wait=False)
                self.passes += 1
            except Exception:  # keep the thread alive whatever happens
                log.exception("webhook dispatcher pass failed")
                database.close()  # a fresh connection next time
                self._stop.wait(TICK)
        database.close()

    def stop(self) -> None:
        """Stop passing, let the tries in flight finish (each bounded by its timeout) so their
        outcome is recorded; everything else stays pending."""
        self._stop.set()
        webhook_events.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        webhook_delivery.engine(self.app).shutdown(wait=True)


def start(app: Flask) -> Dispatcher:
    """Start the dispatcher and register its stop as a shutdown hook (serve only)."""
    from linkhub import lifecycle

    dispatcher = Dispatcher(app)
    app.extensions["linkhub.webhook_dispatcher"] = dispatcher
    dispatcher.start()
    lifecycle.on_shutdown(app, dispatcher.stop)
    return dispatcher

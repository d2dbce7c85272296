"""Several workers against one outbox never send a message twice (PostgreSQL: SKIP LOCKED
claims; SQLite: conditional UPDATEs). Real threads, each its own database connection."""

from __future__ import annotations

import collections
import threading
import time

from app.worker.runner import Worker
from tests.worker.conftest import queue, rows, sample_mail

MESSAGES = 60
WORKERS = 3


def test_three_workers_send_every_message_exactly_once(mail_app, smtp_server):
    queue(mail_app, *[sample_mail(n) for n in range(MESSAGES)])
    smtp_server.delay = 0.01  # slow enough that the workers overlap
    start = threading.Barrier(WORKERS)
    sent_by: dict[str, int] = collections.Counter()
    errors = []

    def work(n):
        worker = Worker(mail_app, name=f"w{n}")
        try:
            start.wait()
            while True:
                report = worker.run_once()
                sent_by[worker.name] += report.delivery.sent
                if not report.delivery.attempted:
                    if all(r.status == "sent" for r in rows(mail_app)):
                        break
                    time.sleep(0.01)  # the others hold the rest for now
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    received = smtp_server.wait_for(MESSAGES)
    ids = collections.Counter(m.message["Message-ID"] for m in received)
    assert len(ids) == MESSAGES and set(ids.values()) == {1}, [i for i, c in ids.items() if c > 1]
    assert sum(sent_by.values()) == MESSAGES
    assert all(r.status == "sent" and r.attempts == 1 for r in rows(mail_app))
    # The batch size (20) < the outbox (60): more than one worker really took part.
    assert len([w for w, n in sent_by.items() if n]) >= 2, sent_by

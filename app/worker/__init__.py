"""Background work through the database: the e-mail outbox, SMTP delivery, timed jobs.

* ``outbox.enqueue(session, mail)`` — queue a message in the caller's transaction (no commit).
* ``kb worker`` (``runner.Worker``) — delivers due messages (``delivery.py`` over ``smtp.py``)
  and runs the timed jobs registered in ``jobs.JOBS``.
* ``kb outbox`` — lists what has not been delivered.

See README.md next to this file.
"""

from .message import Mail
from .outbox import enqueue

__all__ = ["Mail", "enqueue"]

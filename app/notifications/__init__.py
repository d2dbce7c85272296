"""E-mail notifications: who gets which message, composed in Chinese (text + HTML), threaded
per ticket, queued in the outbox of the change's own transaction.

* ``compose.py`` — one function per notification (Ticket + recipient → Mail).
* ``dispatch.py`` — ``ticket_created`` (wired into create_ticket), ``on_ticket_changed`` (the
  console's seam), ``queue`` (for timed jobs).
* Requester side: ``close_reminder`` and ``request_links`` (「找回我的请求链接」) in ``compose.py``;
  the reminder/auto-close jobs in ``app/requests/reminders.py``; bodies shown to requesters pass
  ``app.requests.requester.requester_text`` (no internal article links).
* ``links.py`` (absolute links from KB_BASE_URL), ``thread.py`` (Message-ID / In-Reply-To /
  References), ``recipients.py`` (the requester of a ticket).

Templates: ``app/templates/mail/``. See ``app/worker/README.md`` for delivery.
"""

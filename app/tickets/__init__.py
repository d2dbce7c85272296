"""Service requests (tickets): vocabularies, priority, SLA, numbering, attachments, creation.

Public entry points: :func:`create_ticket` and :class:`TicketValidationError` (service.py),
the labels in choices.py, :func:`ticket_json` (api.py). See README.md in this folder.
"""

from .service import TicketValidationError, create_ticket

__all__ = ["TicketValidationError", "create_ticket"]

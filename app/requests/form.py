"""The request form's fields: read from a submitted form and checked before anything is saved.

The rules are the ticket service's (``app/tickets/service.validate`` and
``attachments.stage_files``), so the form's check step (no JavaScript: articles first, then
「仍然提交」) shows exactly the messages ``create_ticket`` would give, next to each field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import FileStorage

from ..tickets import attachments
from ..tickets.service import clean_text, validate

FIELDS = ("subject", "description", "category", "impact", "urgency", "contact_name", "contact_email", "contact_phone")
MAX_SUBJECT = 200
ACCEPT = ",".join(f".{ext}" for ext in attachments.TYPES)
MAX_FILES = attachments.MAX_FILES
MAX_FILE_BYTES = attachments.MAX_FILE_SIZE


@dataclass
class RequestForm:
    values: dict = field(default_factory=dict)  # what was typed (cleaned), for re-rendering
    errors: dict = field(default_factory=dict)  # field -> message
    files: list = field(default_factory=list)  # FileStorage objects with a file name

    @property
    def ok(self) -> bool:
        return not self.errors

    def ticket_data(self) -> dict:
        return {name: self.values.get(name, "") for name in FIELDS}


def read_values(form) -> dict:
    """What was typed, cleaned only as far as storing it needs (for showing it again)."""
    values = {}
    for name in FIELDS:
        raw = form.get(name, "")
        text = clean_text(raw, single_line=name != "description")
        values[name] = text.strip()
    return values


def check(form, files, *, user, staged: list[str] | None = None) -> RequestForm:
    """Check a submitted form with the ticket service's rules; files are checked, then rewound."""
    raw = read_values(form)
    values, errors = validate(raw, user=user, source="portal")
    shown = {name: values.get(name, raw[name]) for name in FIELDS}
    uploads = [f for f in files if isinstance(f, FileStorage) and (f.filename or "").strip()]
    if len(uploads) + len(staged or []) > MAX_FILES:
        errors[attachments.FIELD] = f"最多上传 {MAX_FILES} 个附件，已保存 {len(staged or [])} 个，又选择了 {len(uploads)} 个。"
    elif uploads:
        try:
            attachments.stage_files(uploads)
        except attachments.AttachmentError as exc:
            errors[attachments.FIELD] = str(exc)
        for upload in uploads:
            upload.stream.seek(0)
    return RequestForm(values=shown, errors=errors, files=uploads)

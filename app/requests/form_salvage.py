"""Keep what was typed when a form upload is too large (HTTP 413).

Werkzeug refuses a body over ``MAX_CONTENT_LENGTH`` before reading it, so the typed fields
would be lost. ``salvage_fields`` streams the body once through Werkzeug's sans-IO multipart
decoder, keeps the small text fields (bounded) and drops file contents as they pass, using
no disk and little memory. Reading the body also lets the browser receive our answer instead
of a reset connection.
"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

CHUNK = 64 * 1024
MAX_FIELD_BYTES = 256 * 1024  # per text field
MAX_TOTAL_FIELD_BYTES = 512 * 1024
MAX_DRAIN = 256 * 1024 * 1024  # stop reading after this much (the connection is then closed)


def salvage_fields(environ) -> tuple[MultiDict, list[str]]:
    """The text fields of an over-long multipart body, and the names of the files it held."""
    fields: MultiDict = MultiDict()
    files: list[str] = []
    mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
    boundary = options.get("boundary")
    if mimetype != "multipart/form-data" or not boundary:
        return fields, files
    try:
        remaining = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_DRAIN)
    except ValueError:
        return fields, files
    stream = environ["wsgi.input"]
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_form_memory_size=None)
    current: Field | File | None = None
    buffer = bytearray()
    total = 0
    try:
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                if remaining <= 0:
                    decoder.receive_data(None)
                    continue
                chunk = stream.read(min(CHUNK, remaining))
                if not chunk:
                    decoder.receive_data(None)
                    remaining = 0
                    continue
                remaining -= len(chunk)
                decoder.receive_data(chunk)
            elif isinstance(event, Field):
                current, buffer = event, bytearray()
            elif isinstance(event, File):
                current = event
                if event.filename:
                    files.append(event.filename)
            elif isinstance(event, Data):
                if isinstance(current, Field) and len(buffer) < MAX_FIELD_BYTES and total < MAX_TOTAL_FIELD_BYTES:
                    buffer.extend(event.data)
                    total += len(event.data)
                if not event.more_data and isinstance(current, Field):
                    fields.add(current.name, bytes(buffer[:MAX_FIELD_BYTES]).decode("utf-8", "replace"))
                    current = None
            elif isinstance(event, Epilogue):
                break
    except Exception:  # noqa: BLE001 - a malformed body: keep what we have
        pass
    return fields, files

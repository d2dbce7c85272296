"""Whoosh's multi-process writer, with each document turned into index fields by the writing
process that indexes it.

``SearchEngine.rebuild`` feeds Whoosh's ``MpWriter`` (2 processes).  Its parent process used to
run ``to_fields`` (Markdown to plain text, headings, anchors, links) for every article and
pickle the result — the plain text three times (``body``, ``codes``, ``stored_text``) — into
the job files the writing processes read: about 4.5 CPU-s of a 10k build in the one process
that also competes with the two writers for the two cores (issue 15).  Here the job files
carry the ``IndexDocument`` itself and the writing process converts it, with the same function.
"""
from __future__ import annotations

import logging
from typing import Callable

from whoosh.compat import pickle
from whoosh.multiproc import MpWriter, SubWriterTask

__all__ = ["DocumentWriter"]

log = logging.getLogger("indexer")


class _Task(SubWriterTask):
    """A writing process whose job files hold ``{"doc": IndexDocument}`` entries."""

    def __init__(self, *args, convert: Callable[[dict], dict]):
        super().__init__(*args)
        self.convert = convert
        self.failed = False

    def _process_file(self, filename, doc_count):
        """Index one job file.  A document that cannot be converted or indexed is logged and
        the process indexes nothing more but keeps taking job files off the queue (a process
        that died would leave the parent blocked on the full queue): its segment then lacks
        documents and the rebuild's verification fails, as a failure in the parent did."""
        writer = self.writer
        tempstorage = writer.temp_storage()
        convert = self.convert
        try:
            if not self.failed:
                with tempstorage.open_file(filename).raw_file() as f:
                    for _ in range(doc_count):
                        _code, args = pickle.load(f)
                        writer.add_document(**convert(args))
        except Exception:  # noqa: BLE001 - reported by the parent's verification
            self.failed = True
            log.exception("bulk index writer: a document could not be indexed")
        finally:
            tempstorage.delete_file(filename)


class DocumentWriter(MpWriter):
    """``MpWriter`` taking documents (``add``); ``convert(entry)`` gives the Whoosh fields of
    an entry ``{"doc": document}`` inside the writing process (a module-level function)."""

    def __init__(self, ix, convert: Callable[[dict], dict], **kwargs):
        super().__init__(ix, **kwargs)
        self.convert = convert

    def _new_task(self):
        task = _Task(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                     self.multisegment, convert=self.convert)
        self.tasks.append(task)
        task.start()
        return task

    def add(self, doc) -> None:
        self.add_document(doc=doc)

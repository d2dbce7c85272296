"""Attachments: allowed types by extension and content, limits, storage, clean-up on failure."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import event
from werkzeug.datastructures import FileStorage

from app.tickets import TicketValidationError
from app.tickets.attachments import MAX_FILE_SIZE, UPLOAD_TOO_LARGE_MESSAGE, save_attachments

from .conftest import create, load, ticket_count, valid_data

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64 + b"This program cannot be run in DOS mode."


def office(kind: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buf.getvalue()


def zipped(**members: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in members.items():
            z.writestr(name.replace("__", "."), content)
    return buf.getvalue()


def upload(name: str, data: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/octet-stream")


def stored_files(app) -> list[Path]:
    folder = Path(app.config["KB_INSTANCE_DIR"]) / "attachments"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("name,data,content_type", [
    ("截图.png", PNG, "image/png"),
    ("photo.JPG", JPEG, "image/jpeg"),
    ("anim.gif", b"GIF89a" + b"\x00" * 20, "image/gif"),
    ("shot.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
    ("manual.pdf", PDF, "application/pdf"),
    ("vpn.log", "2026-11-20 错误 809\n".encode(), "text/plain; charset=utf-8"),
    ("gbk.txt", "连接失败".encode("gb18030"), "text/plain; charset=utf-8"),
    ("list.csv", b"a,b\n1,2\n", "text/csv; charset=utf-8"),
    ("report.docx", office("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("sheet.xlsx", office("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("logs.zip", zipped(**{"a__log": b"x"}), "application/zip"),
])
def test_allowed_files_are_stored(app, name, data, content_type):
    ticket = create(app, files=[upload(name, data)])
    [row] = ticket.attachments
    assert (row.filename, row.content_type, row.size) == (name, content_type, len(data))
    [path] = stored_files(app)
    assert path.name == row.stored_name and name not in path.name
    assert path.read_bytes() == data


@pytest.mark.parametrize("name,data,needle", [
    ("setup.exe", EXE, "可执行程序"),
    ("screenshot.png", EXE, "可执行程序"),      # a program renamed to look like a picture
    ("readme.txt", EXE, "可执行程序"),
    ("script.ps1", b"Get-Process", "可执行程序"),
    ("fake.png", JPEG, "不符"),
    ("fake.pdf", b"hello", "不符"),
    ("binary.log", b"abc\x00\x01\x02", "不符"),
    ("plain.docx", zipped(**{"notes__txt": b"x"}), "不符"),
    ("tool.zip", zipped(**{"tool__exe": EXE}), "压缩包"),
    ("movie.mp4", b"\x00\x00\x00\x18ftypmp42", "不支持"),
    ("noextension", b"hello", "不支持"),
    ("empty.txt", b"", "空文件"),
])
def test_refused_files(app, name, data, needle):
    with pytest.raises(TicketValidationError) as info:
        create(app, files=[upload(name, data)])
    message = info.value.errors["attachments"]
    assert needle in message
    assert ticket_count(app) == 0
    assert stored_files(app) == []


def zipped_names(*entries: tuple[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in entries:
            z.writestr(zipfile.ZipInfo(name), content)
    return buf.getvalue()


def _nest(levels: int) -> bytes:
    data = zipped(**{"x__txt": b"x"})
    for i in range(levels):
        data = zipped_names((f"level{i}.zip", data))
    return data


DEEP_ZIP = _nest(3)  # 4 zips in all: one more than ZIP_MAX_DEPTH


@pytest.mark.parametrize("name,data,needle", [
    # Regression (hardening #9): each of these passed the old checks.
    ("tool.zip", zipped_names(("evil.exe.", EXE)), "可执行程序"),
    ("tool.zip", zipped_names(("evil.exe ", EXE)), "可执行程序"),
    ("tool.zip", zipped_names(("evil.exe::$DATA", b"x")), "可执行程序"),
    ("outer.zip", zipped_names(("inner.zip", zipped_names(("run.exe", EXE)))), "可执行程序"),
    ("deep.zip", DEEP_ZIP, "嵌套"),
    ("logs.zip", zipped_names(("readme.txt", EXE)), "可执行程序"),
    ("disk.zip", zipped_names(("win.iso", b"CD001")), "可执行程序"),
    ("disk.zip", zipped_names(("win.vhd", b"conectix")), "可执行程序"),
    ("office.zip", zipped_names(("budget.xlsm", b"PK")), "可执行程序"),
    ("office.zip", zipped_names(("letter.docm", b"PK")), "可执行程序"),
    ("pkg.zip", zipped_names(("app.msix", b"PK")), "可执行程序"),
    ("slip.zip", zipped_names(("../../../../tmp/evil.txt", b"hi")), "压缩包以外"),
    ("slip.zip", zipped_names(("/etc/cron.d/x", b"hi")), "压缩包以外"),
    ("slip.zip", zipped_names(("C:/Windows/evil.txt", b"hi")), "压缩包以外"),
    ("nested.zip", zipped_names(("more.7z", b"7z\xbc\xaf")), "无法检查"),
    ("macro.docx", zipped_names(("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<x/>"),
                                ("word/vbaProject.bin", b"\xd0\xcf")), "宏"),
    ("evil.exe.", EXE, "可执行程序"),
    ("evil.exe ", b"hello", "可执行程序"),
    ("image.iso", b"CD001", "可执行程序"),
    ("disk.vhd", b"conectix", "可执行程序"),
    ("budget.xlsm", office("xlsx"), "可执行程序"),
    ("letter.docm", office("docx"), "可执行程序"),
    ("app.msix", b"PK\x03\x04", "可执行程序"),
])
def test_archive_and_name_tricks_are_refused(app, name, data, needle):
    with pytest.raises(TicketValidationError) as info:
        create(app, files=[upload(name, data)])
    assert needle in info.value.errors["attachments"]
    assert ticket_count(app) == 0 and stored_files(app) == []


def test_an_encrypted_zip_entry_cannot_be_checked(app):
    data = bytearray(zipped_names(("secret.txt", b"hello")))
    # set the "encrypted" flag in both the local header and the central directory
    data[6] |= 0x1
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1
    with pytest.raises(TicketValidationError) as info:
        create(app, files=[upload("secret.zip", bytes(data))])
    assert "加密" in info.value.errors["attachments"]


def test_nested_harmless_zips_and_folders_are_fine(app):
    data = zipped_names(("logs/", b""), ("logs/vpn.log", "错误 809".encode()),
                        ("older.zip", zipped_names(("2026-11.log", b"ok"))))
    assert create(app, files=[upload("logs.zip", data)]).attachments[0].size == len(data)


def test_more_than_10_mb_is_refused(app):
    with pytest.raises(TicketValidationError) as info:
        create(app, files=[upload("huge.txt", b"a" * (MAX_FILE_SIZE + 1))])
    assert "10 MB" in info.value.errors["attachments"]
    assert create(app, files=[upload("max.txt", b"a" * MAX_FILE_SIZE)]).attachments[0].size == MAX_FILE_SIZE


def test_at_most_five_files(app):
    with pytest.raises(TicketValidationError) as info:
        create(app, files=[upload(f"{i}.png", PNG) for i in range(6)])
    assert "5" in info.value.errors["attachments"]
    assert len(create(app, files=[upload(f"{i}.png", PNG) for i in range(5)]).attachments) == 5


def test_empty_file_inputs_are_ignored(app):
    ticket = create(app, files=[FileStorage(stream=io.BytesIO(b""), filename="")])
    assert ticket.attachments == []


def test_one_bad_file_refuses_all_and_writes_none(app):
    with pytest.raises(TicketValidationError):
        create(app, files=[upload("ok.png", PNG), upload("bad.png", EXE)])
    assert stored_files(app) == [] and ticket_count(app) == 0


def test_attachment_errors_come_with_the_other_field_errors(app):
    with pytest.raises(TicketValidationError) as info:
        create(app, valid_data(subject=""), files=[upload("x.exe", EXE)])
    assert {"subject", "attachments"} <= set(info.value.errors)


def test_folder_names_are_stripped_from_file_names(app):
    ticket = create(app, files=[upload("..\\..\\windows/../../etc/passwd.txt", b"root")])
    assert ticket.attachments[0].filename == "passwd.txt"


def test_written_files_are_removed_when_the_transaction_fails(app):
    from app.db import get_session
    from app.tickets import create_ticket

    with pytest.raises(RuntimeError), app.test_request_context():
        session = get_session()

        def boom(*_args):
            if stored_files(app):  # the ticket's final commit (not the numbering savepoint)
                raise RuntimeError("database went away")

        event.listen(session, "before_commit", boom)
        create_ticket(session, valid_data(), files=[upload("a.png", PNG)])
    assert stored_files(app) == []
    assert ticket_count(app) == 0


def test_files_of_an_uncommitted_session_are_removed_when_it_closes(app):
    from app.db import get_session
    from app.tickets.access import find_ticket

    number = create(app).number
    with app.test_request_context():
        session = get_session()
        save_attachments(session, find_ticket(session, number), [upload("later.pdf", PDF)])
        assert len(stored_files(app)) == 1
    # the request ended without a commit: nothing is left behind
    assert stored_files(app) == []
    assert load(app, number).attachments == []


def test_save_attachments_for_an_existing_ticket(app):
    from app.db import get_session

    number = create(app).number
    with app.test_request_context():
        session = get_session()
        from app.tickets.access import find_ticket

        ticket = find_ticket(session, number)
        with pytest.raises(TicketValidationError) as info:
            save_attachments(session, ticket, [upload("x.png", EXE)])
        assert "可执行程序" in info.value.errors["attachments"]
        save_attachments(session, ticket, [upload("later.pdf", PDF)])
        session.commit()
    assert [a.filename for a in load(app, number).attachments] == ["later.pdf"]


def test_too_large_message_is_chinese_and_names_the_limits():
    assert "25 MB" in UPLOAD_TOO_LARGE_MESSAGE and "10 MB" in UPLOAD_TOO_LARGE_MESSAGE

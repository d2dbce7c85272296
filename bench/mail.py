"""Mail benchmark: what the "received" notification adds to creating a ticket, and how fast
kb worker delivers to a real SMTP server on loopback. One run prints medians and ratios.

    .venv/bin/python bench/mail.py [--tickets 60] [--messages 300]

Everything runs in a temporary folder (SQLite, the real articles/ library, an aiosmtpd server
on 127.0.0.1) that is removed at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUBJECTS = ["VPN 连接提示错误 809", "Outlook 一直提示输入密码", "打印机显示脱机", "Wi-Fi 连上了但是上不了网",
            "忘记域账号密码", "Teams 会议没有声音", "电脑蓝屏 0x0000007B", "共享盘 Z: 打不开"]


def _p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=60)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()

    from app import create_app, migrate
    from app.db import get_session, session_scope
    from app.notifications.dispatch import ticket_created
    from app.tickets import create_ticket
    from app.worker import Mail, enqueue
    from app.worker.runner import Worker
    from tests.mailhelpers import SmtpServer

    smtp = SmtpServer().start()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"KB_INSTANCE_DIR": tmp, "KB_ARTICLES_DIR": str(ROOT / "articles"), "TESTING": True,
                          "KB_SMTP_URL": smtp.url, "KB_MAIL_FROM": "helpdesk@corp.example",
                          "KB_BASE_URL": "https://help.corp.example"})
        migrate.upgrade(app.extensions["kb.engine"])
        assert app.test_cli_runner().invoke(args=["kb", "sync"]).exit_code == 0
        data = {"category": "vpn", "impact": "person", "urgency": "stopped", "contact_name": "张三",
                "contact_email": "zhangsan@corp.example", "contact_phone": "8021"}
        whole, notify = [], []
        with app.test_request_context():
            create_ticket(get_session(), {**data, "subject": "预热", "description": ""})  # open the index once
            for i in range(args.tickets):
                subject = SUBJECTS[i % len(SUBJECTS)]
                started = time.perf_counter()
                ticket = create_ticket(get_session(), {**data, "subject": subject, "description": subject + "，怎么办"})
                whole.append((time.perf_counter() - started) * 1000)
                session = get_session()
                started = time.perf_counter()
                ticket_created(session, ticket)  # the same work again (its dedupe key makes it a no-op insert)
                notify.append((time.perf_counter() - started) * 1000)
                session.rollback()
        with app.app_context(), session_scope() as session:
            for n in range(args.messages):
                enqueue(session, Mail(kind="bench", dedupe_key=f"bench:{n}", to_addr=f"u{n}@corp.example",
                                      subject=f"测试 {n}", text="您好：\n\n测试。\n", html="<p>测试。</p>"))
        worker = Worker(app)
        started = time.perf_counter()
        sent = 0
        while True:
            report = worker.run_once()
            sent += report.delivery.sent
            if not report.delivery.attempted:
                break
        seconds = time.perf_counter() - started
        smtp.wait_for(args.tickets + 1 + args.messages, timeout=60)
    smtp.stop()
    w, n = statistics.median(whole), statistics.median(notify)
    print(f"create_ticket (whole, incl. the queued mail), {args.tickets} tickets: median {w:.1f} ms, p95 {_p(whole, .95):.1f} ms")
    print(f"  of which the received notification (suggestions + render + insert): median {n:.1f} ms, "
          f"p95 {_p(notify, .95):.1f} ms = {n / w:.0%} of the median")
    print(f"kb worker delivery to aiosmtpd on loopback: {sent} messages in {seconds:.2f} s = "
          f"{sent / seconds:.0f} messages/s ({seconds / sent * 1000:.1f} ms each)")


if __name__ == "__main__":
    main()

"""Login timing: does a failed login take as long for an unknown user name as for a known one?

    .venv/bin/python bench/login_timing.py [--rounds 40]

Runs the real app in-process (Flask test client, a temporary SQLite database, throttling off)
and times ``POST /login`` with a wrong password for a known user, an unknown user and a
disabled user, interleaved, then prints the medians and the unknown/known ratio. For the
baseline the same run repeats with the old check (no hash for unknown users), so the ratio
before and after the fix stand side by side.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _app(tmp: Path):
    from app import create_app, migrate
    from app.db import session_scope
    from app.models import User

    app = create_app({"KB_INSTANCE_DIR": str(tmp / "instance"), "KB_ARTICLES_DIR": str(tmp / "articles"),
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    migrate.upgrade(app.extensions["kb.engine"])
    with app.app_context(), session_scope() as session:
        for name, active in (("known", True), ("gone", False)):
            user = User(username=name, role="requester", active=active)
            user.set_password("the-right-password-1")
            session.add(user)
    return app


def _measure(client, rounds: int) -> dict[str, float]:
    names = {"known": "known", "unknown": "nobody-here", "disabled": "gone"}
    times: dict[str, list[float]] = {k: [] for k in names}
    for _ in range(rounds):
        for label, name in names.items():
            started = time.perf_counter()
            response = client.post("/login", data={"username": name, "password": "wrong-password"})
            times[label].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 401, response.status_code
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    import app.accounts.passwords as passwords

    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        client = app.test_client()
        _measure(client, 3)  # warm up
        after = _measure(client, args.rounds)
        real_verify = passwords.verify

        def old_verify(user, password):  # what /login did before: no hash without a user
            return user is not None and user.active and user.check_password(password)

        passwords.verify = old_verify
        try:
            before = _measure(client, args.rounds)
        finally:
            passwords.verify = real_verify
        app.extensions["kb.engine"].dispose()

    print(f"POST /login, wrong password, median of {args.rounds} (ms)")
    print(f"{'':<28}{'known':>9}{'unknown':>9}{'disabled':>10}{'unknown/known':>15}")
    for label, m in (("before (no dummy hash)", before), ("after (one hash always)", after)):
        print(f"{label:<28}{m['known']:>9.1f}{m['unknown']:>9.1f}{m['disabled']:>10.1f}{m['unknown'] / m['known']:>15.2f}")


if __name__ == "__main__":
    main()

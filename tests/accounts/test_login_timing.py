"""Hardening #5: a failed login costs one password hash whether or not the user exists.

Before: an unknown user name was answered without hashing (10 ms against 187 ms), which told
known names from unknown ones. The time itself is measured by ``bench/login_timing.py``; here
the work is counted: the real hash function is wrapped and its calls counted.
"""

from __future__ import annotations

import pytest

import app.accounts.passwords as passwords
import app.models as models

from .conftest import log_in, make_user


@pytest.fixture
def hash_checks(monkeypatch):
    calls = []
    real_models, real_passwords = models.check_password_hash, passwords.check_password_hash

    def counting(real):
        def check(pwhash, password):
            calls.append(pwhash.split("$", 1)[0])
            return real(pwhash, password)

        return check

    monkeypatch.setattr(models, "check_password_hash", counting(real_models))
    monkeypatch.setattr(passwords, "check_password_hash", counting(real_passwords))
    return calls


def test_unknown_known_and_disabled_users_cost_the_same_hash(app, hash_checks):
    make_user(app, "zhang")
    make_user(app, "gone", active=False)
    client = app.test_client()
    for name in ("zhang", "nobody", "gone", ""):
        hash_checks.clear()
        assert log_in(client, name, "wrong-password").status_code == 401
        assert len(hash_checks) == 1, name
    methods = set()
    for name in ("zhang", "nobody"):
        hash_checks.clear()
        log_in(client, name, "wrong-password")
        methods.add(hash_checks[0])
    assert len(methods) == 1  # the dummy hash uses the same method (and cost) as real ones


def test_a_disabled_user_with_the_right_password_gets_the_same_answer(app):
    make_user(app, "gone", active=False)
    response = log_in(app.test_client(), "gone")
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)

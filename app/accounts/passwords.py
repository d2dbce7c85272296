"""The password policy, temporary passwords, and verification that does not reveal who exists.

Policy (``check_policy``): at least ``KB_PASSWORD_MIN_LENGTH`` characters (10), at most 256;
not the user name (nor containing it, nor the name reversed); not one of the 30,000 most common
passwords of the list the ``zxcvbn`` package ships and maintains (compared case-insensitively,
also with trailing digits and punctuation removed, so ``Password2024!`` is refused); not a
single repeated character; and not easy to guess by zxcvbn's estimate (score below 2 — runs of
digits, keyboard rows, dates, words: ``123456789012``, ``qazwsxedcrfv``).

``verify(user, password)`` always runs one password hash check, with a dummy hash for unknown
users, so the time a failed login takes does not tell a known user name from an unknown one.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

MAX_LENGTH = 256
TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # no 0/O, 1/l/I


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The most common passwords (zxcvbn's list of 30,000, from real breaches)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def min_length() -> int:
    return int(current_app.config.get("KB_PASSWORD_MIN_LENGTH", 10)) if has_app_context() else 10


def is_common(password: str) -> bool:
    lowered = password.lower()
    common = common_passwords()
    if lowered in common:
        return True
    stripped = re.sub(r"[\d\W_]+$", "", lowered)  # "password2024!" → "password"
    return len(stripped) >= 4 and stripped in common and stripped != lowered


def check_policy(password: str, username: str | None = None) -> list[str]:
    """What is wrong with ``password`` for ``username``, in Chinese; empty when it is acceptable."""
    problems = []
    shortest = min_length()
    if len(password) < shortest:
        problems.append(f"密码至少需要 {shortest} 个字符。")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码不能超过 {MAX_LENGTH} 个字符。")
    if "\x00" in password:
        problems.append("密码不能包含空字符。")
    name = (username or "").strip().lower()
    lowered = password.lower()
    if name and len(name) >= 3 and (name in lowered or name[::-1] in lowered):
        problems.append("密码不能包含用户名。")
    elif name and lowered == name:
        problems.append("密码不能与用户名相同。")
    if password and len(set(password)) == 1:
        problems.append("密码不能是同一个字符的重复。")
    elif is_common(password):
        problems.append("这是一个常见密码，很容易被猜中，请换一个。")
    elif not problems and guessable(password, name):
        problems.append("这个密码太容易被猜中（如连续数字、键盘顺序、日期或常见单词），请换一个。")
    return problems


def guessable(password: str, username: str = "") -> bool:
    """zxcvbn's estimate below "safely unguessable" online (score < 2: under 10^8 guesses)."""
    from zxcvbn import zxcvbn

    return zxcvbn(password[:100], user_inputs=[username] if username else [])["score"] < 2


def temporary_password(length: int = 14) -> str:
    """A random password that is easy to read aloud or type from a note (no 0/O, 1/l/I)."""
    length = max(length, min_length())
    while True:
        password = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Same method and cost as a real user's hash (werkzeug's default). Made on first need, not
    # at start-up: every `kb` command would pay for it otherwise.
    return generate_password_hash(secrets.token_urlsafe(16))


def verify(user, password: str) -> bool:
    """True when ``user`` exists, is active and ``password`` is theirs; one hash check either way."""
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    ok = user.check_password(password)
    return ok and bool(user.active)

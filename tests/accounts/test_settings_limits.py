"""Login limits: the defaults are known without the ``limits`` package; any other value is
still read (and checked at start-up) by it."""
from __future__ import annotations

import pytest

from app.accounts import settings


@pytest.mark.parametrize("name", ["KB_LOGIN_LIMIT_ACCOUNT", "KB_LOGIN_LIMIT_ADDRESS"])
def test_the_defaults_read_as_the_limits_package_reads_them(name):
    from limits import parse

    text = settings.DEFAULTS[name]
    item = parse(text)
    assert settings.parse_limit(text, name) == (item.amount, item.get_expiry())


def test_other_values_are_still_read_and_checked():
    assert settings.parse_limit("5/minute") == (5, 60)
    assert settings.parse_limit("20 per hour") == (20, 3600)
    assert settings.parse_limit((3, 30)) == (3, 30)
    with pytest.raises(ValueError, match="KB_LOGIN_LIMIT_ACCOUNT"):
        settings.parse_limit("lots", "KB_LOGIN_LIMIT_ACCOUNT")

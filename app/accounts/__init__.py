"""Accounts: who may log in, for how long, with which password, and what admins did.

* ``settings``  — the accounts' settings with their defaults (cookies, sessions, throttling, policy).
* ``passwords`` — the password policy and verification that takes as long for unknown users.
* ``sessions``  — one revocable row per login; the cookie only holds a random key.
* ``throttle``  — failed logins counted per account and per address (shared by all workers).
* ``tokens``    — API tokens (``Authorization: Bearer``), stored as hashes.
* ``audit``     — the audit log of admin actions.
* ``service``   — account management (create, role, disable, enable, password reset and change),
  used by the admin pages and ``kb user``; keeps at least one active admin.
* ``cli``       — ``kb user …`` and ``kb token …``.
* ``i18n``      — Click's own messages (usage errors, ``--help`` headings) in Chinese.

See README.md in this folder.
"""

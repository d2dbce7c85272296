"""helpdesk-kb: the Flask application (factory + blueprints).

Importing the package imports nothing heavy: ``gunicorn -c python:app.serving.gunicorn_conf``
imports it to read the config file, and gevent must patch the standard library before Flask
and the rest are imported (app/serving/README.md, "Start-up").
"""

from __future__ import annotations

import gc
import logging
import sys
from typing import TYPE_CHECKING

from . import config as settings

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    # The first call imports Flask, SQLAlchemy, the models, the views and the search engine:
    # ~180,000 long-lived (GC-tracked) objects and no garbage worth collecting, so the cyclic
    # collector stays off meanwhile (each full collection on the way walked all of them: 70-100 ms of a
    # fresh process).  Left as found: gunicorn's master keeps it off until its workers fork
    # (app/serving/gunicorn_conf.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _create_app(config)
    finally:
        if collecting:
            gc.enable()


def _create_app(config: dict | None) -> Flask:
    from flask import Flask

    inst = settings.instance_dir(config)
    inst.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(inst), instance_relative_config=True)
    settings.resolve(app, config)
    _configure_logging(app)

    from . import auth, db, errors, security
    from .articles import search
    from .views import account, admin, admin_console, agent, api, api_articles, api_requester, api_tickets, feedback, portal, requests, tickets, writer
    from .views import reports as report_views
    from .views import search as search_views

    app.cli = _commands(app.cli)
    db.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    search.init_app(app)

    for blueprint in (
        auth.bp,
        portal.bp,  # /, /categories/…, /articles/…
        search_views.bp,  # /search
        api.bp,  # /api/search, /api/suggest, /api/articles/…
        requests.bp,  # /requests/new
        requests.api_bp,  # /api/visits/… (the form's own calls)
        tickets.bp,  # /requests/<number>
        requests.mine_bp,  # /requests/mine, /requests/recover, the requester's actions on a ticket
        api_tickets.bp,  # /api/tickets
        api_requester.bp,  # /api/tickets/<number>/confirm, withdraw, rating, follow-up
        feedback.bp,  # article votes and 「转人工处理」
        feedback.api_bp,  # /api/articles/<slug>/feedback
        agent.bp,  # /agent/
        writer.bp,  # /writer/
        admin.bp,  # /admin/ accounts, API tokens, audit log
        admin_console.bp,  # /admin/console/ agent groups and macros
        account.bp,  # /account/password
        writer.media_bp,  # /media/<name>: editor images
        api_articles.bp,  # POST/PUT /api/articles…, publish, revisions
        report_views.bp,  # /reports/: monthly review, CSV exports
        report_views.api_bp,  # /api/reports/summary
    ):
        app.register_blueprint(blueprint)
    return app


def _commands(flask_group):
    """``app.cli`` with the ``kb`` group imported when a command line asks for it.

    ``app/cli.py`` and its sub-commands (migrations, relevance evaluation with YAML, demo data,
    exports, the mail worker's loop…) are for ``flask --app wsgi kb …``; a web server never runs
    them, so importing them at every start cost the portal's workers time and memory for
    nothing (issue 15).  ``get_command``/``list_commands`` are the only ways click reaches a
    sub-command, so ``flask … kb …``, ``flask --help`` and ``app.test_cli_runner()`` see the
    same group as before.
    """
    from flask.cli import AppGroup

    class Commands(AppGroup):
        def get_command(self, ctx, name):
            if name == "kb" and name not in self.commands:
                from .cli import kb_cli

                self.add_command(kb_cli)
            return super().get_command(ctx, name)

        def list_commands(self, ctx):
            return sorted(set(super().list_commands(ctx)) | {"kb"})

    group = Commands(name=flask_group.name)
    group.commands.update(flask_group.commands)
    return group


def _configure_logging(app: Flask) -> None:
    """Log to stderr, one format for the app and the indexer."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
    for name in ("app", "indexer"):
        logger = logging.getLogger(name)
        if not any(getattr(h, "_kb", False) for h in logger.handlers):
            handler._kb = True
            logger.addHandler(handler)
        logger.setLevel(app.config.get("KB_LOG_LEVEL", "INFO"))
        logger.propagate = False

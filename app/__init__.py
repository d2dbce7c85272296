"""helpdesk-kb: the Flask application (factory + blueprints)."""

from __future__ import annotations

import logging
import sys

from flask import Flask

from . import config as settings


def create_app(config: dict | None = None) -> Flask:
    inst = settings.instance_dir(config)
    inst.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(inst), instance_relative_config=True)
    settings.resolve(app, config)
    _configure_logging(app)

    from . import auth, db, errors, search, security
    from .cli import kb_cli
    from .views import api, portal
    from .views import search as search_views

    db.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    search.init_app(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(api.bp)
    from .views import agent as agent_views
    from .views import api_tickets
    from .views import tickets as ticket_views

    app.register_blueprint(ticket_views.bp)
    app.register_blueprint(api_tickets.bp)
    app.register_blueprint(agent_views.bp)
    from .views import requests as request_views

    app.register_blueprint(request_views.bp)
    app.register_blueprint(request_views.api_bp)
    from .views import feedback as feedback_views
    from .views import writer as writer_views

    app.register_blueprint(feedback_views.bp)
    app.register_blueprint(feedback_views.api_bp)
    app.register_blueprint(writer_views.bp)
    app.cli.add_command(kb_cli)
    return app


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

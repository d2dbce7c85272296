"""Serving the portal: the gunicorn settings ``make run`` uses (``gunicorn_conf.py``)."""

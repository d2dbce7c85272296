"""Priority from impact × urgency, with a configurable matrix."""

from __future__ import annotations

import pytest

from app import create_app
from app.tickets.priority import DEFAULT_MATRIX, PriorityConfigError, build_matrix, compute_priority

from .conftest import create, valid_data


@pytest.mark.parametrize("impact,urgency,expected", [
    ("company", "stopped", "P1"),
    ("department", "stopped", "P1"),
    ("person", "stopped", "P2"),
    ("company", "degraded", "P3"),
    ("department", "degraded", "P3"),
    ("person", "degraded", "P3"),
    ("company", "question", "P4"),
    ("department", "question", "P4"),
    ("person", "question", "P4"),
])
def test_default_matrix(impact, urgency, expected):
    assert compute_priority(impact, urgency) == expected


def test_override_changes_only_the_given_cells():
    matrix = build_matrix({"company": {"degraded": "P2"}})
    assert matrix["company"]["degraded"] == "P2"
    assert matrix["person"]["degraded"] == DEFAULT_MATRIX["person"]["degraded"] == "P3"


@pytest.mark.parametrize("bad", [
    {"galaxy": {"stopped": "P1"}},
    {"company": {"on_fire": "P1"}},
    {"company": {"stopped": "P0"}},
    {"company": "P1"},
    ["P1"],
])
def test_bad_matrix_is_refused(bad):
    with pytest.raises(PriorityConfigError):
        build_matrix(bad)


def test_bad_matrix_stops_the_app_at_start(tmp_path):
    with pytest.raises(PriorityConfigError):
        create_app({"KB_INSTANCE_DIR": str(tmp_path), "KB_PRIORITY_MATRIX": {"company": {"stopped": "urgent"}}})


def test_configured_matrix_is_used_by_the_service(app):
    app.config["KB_PRIORITY_MATRIX"] = {"person": {"question": "P3"}}
    ticket = create(app, valid_data(impact="person", urgency="question"))
    assert ticket.priority == "P3"

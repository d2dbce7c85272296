"""Priority = impact × urgency, looked up in a matrix that operators can change.

Default matrix (rows: impact, columns: urgency)::

                     stopped 业务中断   degraded 效率降低   question 咨询
    person 仅我本人        P2              P3                 P4
    department 部门        P1              P3                 P4
    company 全公司         P1              P3                 P4

Why each cell:

* company + stopped → P1: the whole company cannot work.
* department + stopped → P1: a team is stopped; a department outage costs as much as a
  small company-wide one and usually has one root cause worth fixing at once.
* person + stopped → P2: one person cannot work; urgent, but not an incident for everyone.
* person / department / company + degraded → P3: work continues with a workaround.
* person / department / company + question → P4: advice or a request, nothing is broken.

Override any cells with the setting ``KB_PRIORITY_MATRIX`` in ``instance/config.py``, e.g.
``KB_PRIORITY_MATRIX = {"company": {"degraded": "P2"}}``; cells not given keep their default.
A bad matrix (unknown impact/urgency, a priority outside P1–P4) stops the app at start-up with
a message naming the cell, rather than mis-prioritising tickets later.
"""

from __future__ import annotations

from collections.abc import Mapping

from .choices import IMPACTS, URGENCIES

PRIORITIES = ("P1", "P2", "P3", "P4")

DEFAULT_MATRIX: dict[str, dict[str, str]] = {
    "person": {"stopped": "P2", "degraded": "P3", "question": "P4"},
    "department": {"stopped": "P1", "degraded": "P3", "question": "P4"},
    "company": {"stopped": "P1", "degraded": "P3", "question": "P4"},
}


class PriorityConfigError(ValueError):
    pass


def build_matrix(overrides: Mapping | None) -> dict[str, dict[str, str]]:
    """The default matrix with ``overrides`` applied cell by cell; validated."""
    matrix = {impact: dict(row) for impact, row in DEFAULT_MATRIX.items()}
    if not overrides:
        return matrix
    if not isinstance(overrides, Mapping):
        raise PriorityConfigError("KB_PRIORITY_MATRIX 必须是 {impact: {urgency: 'P1'…}} 形式的字典")
    for impact, row in overrides.items():
        if impact not in IMPACTS:
            raise PriorityConfigError(f"KB_PRIORITY_MATRIX: 未知的影响范围 {impact!r}（可用：{', '.join(IMPACTS)}）")
        if not isinstance(row, Mapping):
            raise PriorityConfigError(f"KB_PRIORITY_MATRIX[{impact!r}] 必须是字典")
        for urgency, priority in row.items():
            if urgency not in URGENCIES:
                raise PriorityConfigError(
                    f"KB_PRIORITY_MATRIX[{impact!r}]: 未知的紧急程度 {urgency!r}（可用：{', '.join(URGENCIES)}）"
                )
            if priority not in PRIORITIES:
                raise PriorityConfigError(
                    f"KB_PRIORITY_MATRIX[{impact!r}][{urgency!r}] = {priority!r}：优先级只能是 P1–P4"
                )
            matrix[impact][urgency] = priority
    return matrix


def compute_priority(impact: str, urgency: str, matrix: Mapping | None = None) -> str:
    """The priority for ``impact`` × ``urgency`` (keys from choices.py)."""
    table = matrix if matrix is not None else DEFAULT_MATRIX
    return table[impact][urgency]


def matrix_from_config(config: Mapping) -> dict[str, dict[str, str]]:
    return build_matrix(config.get("KB_PRIORITY_MATRIX"))

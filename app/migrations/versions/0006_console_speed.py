"""console at scale: composite indexes that hold each queue view's filter and order
(status / assignee / group, then sla_due_at, priority), replacing the single-column ones they
start with; an index on contact_email (ticket search by an anonymous requester's address).

Revision ID: 0006_console_speed
Revises: 0005_console
Create Date: 2026-12-02 07:10:00
"""
from alembic import op


revision = '0006_console_speed'
down_revision = '0005_console'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_queue')
        batch_op.drop_index('ix_tickets_assignee_id')
        batch_op.drop_index('ix_tickets_group_id')
        batch_op.drop_index('ix_tickets_sla_due_at')
        batch_op.create_index('ix_tickets_queue', ['status', 'sla_due_at', 'priority', 'sla_warn_at', 'assignee_id', 'group_id'], unique=False)
        batch_op.create_index('ix_tickets_assignee_queue', ['assignee_id', 'status', 'sla_due_at', 'priority'], unique=False)
        batch_op.create_index('ix_tickets_group_queue', ['group_id', 'status', 'sla_due_at', 'priority'], unique=False)
        batch_op.create_index('ix_tickets_due_order', ['sla_due_at', 'priority', 'status'], unique=False)
        batch_op.create_index('ix_tickets_contact_email', ['contact_email'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_contact_email')
        batch_op.drop_index('ix_tickets_due_order')
        batch_op.drop_index('ix_tickets_group_queue')
        batch_op.drop_index('ix_tickets_assignee_queue')
        batch_op.drop_index('ix_tickets_queue')
        batch_op.create_index('ix_tickets_sla_due_at', ['sla_due_at'], unique=False)
        batch_op.create_index('ix_tickets_group_id', ['group_id'], unique=False)
        batch_op.create_index('ix_tickets_assignee_id', ['assignee_id'], unique=False)
        batch_op.create_index('ix_tickets_queue', ['status', 'sla_due_at'], unique=False)

"""Runs of an experiment: a ``runs`` table, trials keyed by (experiment, run, number) and
the host and node each trial ran on.

Existing data becomes run 1: every experiment that has trials, a job or a model gets a run 1
holding its settings, status and model, and every existing trial is put in run 1.

Revision ID: 0003
Revises: 0002
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("task", sa.String(length=32), nullable=True),
        sa.Column("metric", sa.String(length=64), nullable=True),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("model_id", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("experiment_id", "number", name="uq_runs_number"),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_experiment_id"), ["experiment_id"], unique=False)
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("host", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("node_id", sa.String(length=128), nullable=False, server_default="")
        )
        batch_op.drop_constraint("uq_trials_number", type_="unique")
        batch_op.create_unique_constraint(
            "uq_trials_run_number", ["experiment_id", "run", "number"]
        )
    with op.batch_alter_table("trials", schema=None) as batch_op:
        # the ORM gives the values; the server defaults only served the existing rows
        batch_op.alter_column("run", server_default=None)
        batch_op.alter_column("host", server_default=None)
        batch_op.alter_column("node_id", server_default=None)
    _existing_experiments_become_run_1()


def _existing_experiments_become_run_1() -> None:
    bind = op.get_bind()
    experiments = sa.table(
        "experiments",
        sa.column("id", sa.String),
        sa.column("status", sa.String),
        sa.column("settings", sa.JSON),
        sa.column("task", sa.String),
        sa.column("metric", sa.String),
        sa.column("job_id", sa.String),
        sa.column("best_model_id", sa.String),
        sa.column("error", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    trials = sa.table("trials", sa.column("experiment_id", sa.String))
    runs = sa.table(
        "runs",
        sa.column("id", sa.String),
        sa.column("experiment_id", sa.String),
        sa.column("number", sa.Integer),
        sa.column("status", sa.String),
        sa.column("settings", sa.JSON),
        sa.column("task", sa.String),
        sa.column("metric", sa.String),
        sa.column("job_id", sa.String),
        sa.column("model_id", sa.String),
        sa.column("error", sa.Text),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
    )
    with_trials = {row[0] for row in bind.execute(sa.select(trials.c.experiment_id).distinct())}
    rows = []
    for e in bind.execute(sa.select(experiments)).mappings():
        ran = e["status"] != "ready" or e["job_id"] or e["best_model_id"]
        if not ran and e["id"] not in with_trials:
            continue
        status = e["status"] if e["status"] != "ready" else "finished"
        rows.append(
            {
                "id": uuid.uuid4().hex,
                "experiment_id": e["id"],
                "number": 1,
                "status": status,
                "settings": e["settings"] or {},
                "task": e["task"],
                "metric": e["metric"],
                "job_id": e["job_id"],
                "model_id": e["best_model_id"],
                "error": e["error"] or "",
                "started_at": e["created_at"] or datetime.now(UTC),
                "finished_at": None if status == "running" else e["updated_at"],
            }
        )
    if rows:
        op.bulk_insert(runs, rows)


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM trials WHERE run <> 1"))
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_constraint("uq_trials_run_number", type_="unique")
        batch_op.create_unique_constraint("uq_trials_number", ["experiment_id", "number"])
        batch_op.drop_column("node_id")
        batch_op.drop_column("host")
        batch_op.drop_column("run")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_experiment_id"))
    op.drop_table("runs")

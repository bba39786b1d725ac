"""The monitoring log (columnar batches), true labels, alert rules and alerts."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select

from tunelab.entities.platform import NotFoundError
from tunelab.tracking._base import StoreBase, new_id
from tunelab.tracking._json import jsonable
from tunelab.tracking._orm import (
    AlertRow,
    AlertRuleRow,
    DeploymentRow,
    MonitorBatchRow,
    MonitorSettingsRow,
    PredictionLabelRow,
    utcnow,
)

MAX_LABELS = 100_000  # labels one call may attach


def _stamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _rule(row: AlertRuleRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "deployment_id": row.deployment_id,
        "kind": row.kind,
        "params": dict(row.params or {}),
        "webhook_url": row.webhook_url,
        "enabled": row.enabled,
        "created_at": row.created_at,
        "checked_at": row.checked_at,
    }


def _alert(row: AlertRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "rule_id": row.rule_id,
        "deployment_id": row.deployment_id,
        "message": row.message,
        "details": dict(row.details or {}),
        "delivered": row.delivered,
        "delivery_error": row.delivery_error,
        "created_at": row.created_at,
    }


class MonitoringStoreMixin(StoreBase):
    # ----- columnar log ---------------------------------------------------------------------
    def add_monitor_batches(self, batches: list[dict[str, Any]]) -> int:
        """Store ``{deployment_id, first_at, last_at (epoch s), n_rows, n_requests, n_errors,
        data}`` batches in one transaction; batches of deleted deployments are dropped."""
        if not batches:
            return 0
        ids = {b["deployment_id"] for b in batches}
        with self._write() as s:
            alive = set(s.scalars(select(DeploymentRow.id).where(DeploymentRow.id.in_(ids))))
            rows = [
                MonitorBatchRow(
                    deployment_id=b["deployment_id"],
                    first_at=_stamp(b["first_at"]),
                    last_at=_stamp(b["last_at"]),
                    n_rows=int(b.get("n_rows", 0)),
                    n_requests=int(b.get("n_requests", 0)),
                    n_errors=int(b.get("n_errors", 0)),
                    data=b.get("data"),
                )
                for b in batches
                if b["deployment_id"] in alive
            ]
            s.add_all(rows)
        return len(rows)

    def monitor_blobs(
        self, deployment_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[bytes]:
        """The data of every batch overlapping ``[start, end)``, oldest first (rows outside
        the window are filtered by the reader)."""
        query = select(MonitorBatchRow.data).where(
            MonitorBatchRow.deployment_id == deployment_id, MonitorBatchRow.data.is_not(None)
        )
        if start is not None:
            query = query.where(MonitorBatchRow.last_at >= start)
        if end is not None:
            query = query.where(MonitorBatchRow.first_at < end)
        with self._read() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            return [b for b in s.scalars(query.order_by(MonitorBatchRow.id)) if b]

    def request_counts(
        self, deployment_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> dict[str, int]:
        """Requests, failed requests and predicted rows logged in ``[start, end)`` (by batch)."""
        query = select(
            func.coalesce(func.sum(MonitorBatchRow.n_requests), 0),
            func.coalesce(func.sum(MonitorBatchRow.n_errors), 0),
            func.coalesce(func.sum(MonitorBatchRow.n_rows), 0),
        ).where(MonitorBatchRow.deployment_id == deployment_id)
        if start is not None:
            query = query.where(MonitorBatchRow.last_at >= start)
        if end is not None:
            query = query.where(MonitorBatchRow.first_at < end)
        with self._read() as s:
            requests, errors, rows = s.execute(query).one()
        return {"requests": int(requests), "errors": int(errors), "rows": int(rows)}

    # ----- settings -------------------------------------------------------------------------
    def get_monitor_settings(self, deployment_id: str) -> dict[str, Any]:
        """A deployment's drift settings (empty: the defaults)."""
        with self._read() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            row = s.get(MonitorSettingsRow, deployment_id)
            return dict(row.settings) if row is not None else {}

    def set_monitor_settings(self, deployment_id: str, settings: dict[str, Any]) -> None:
        with self._write() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            row = s.get(MonitorSettingsRow, deployment_id)
            if row is None:
                s.add(
                    MonitorSettingsRow(
                        deployment_id=deployment_id,
                        settings=jsonable(settings),
                        updated_at=utcnow(),
                    )
                )
            else:
                row.settings = jsonable(settings)
                row.updated_at = utcnow()

    # ----- labels ---------------------------------------------------------------------------
    def add_labels(self, deployment_id: str, labels: list[tuple[str, Any]]) -> int:
        """Attach true labels by prediction id (a later label replaces an earlier one)."""
        if len(labels) > MAX_LABELS:
            raise ValueError(f"at most {MAX_LABELS} labels at once")
        latest = dict(labels)
        now = utcnow()
        with self._write() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            keys = list(latest)
            for at in range(0, len(keys), 500):
                chunk = keys[at : at + 500]
                s.execute(
                    delete(PredictionLabelRow).where(
                        PredictionLabelRow.deployment_id == deployment_id,
                        PredictionLabelRow.prediction_id.in_(chunk),
                    )
                )
            s.add_all(
                PredictionLabelRow(
                    deployment_id=deployment_id,
                    prediction_id=key,
                    label=jsonable(value),
                    created_at=now,
                )
                for key, value in latest.items()
            )
        return len(latest)

    def labels_between(
        self, deployment_id: str, first_id: str | None = None, last_id: str | None = None
    ) -> dict[str, Any]:
        """Labels of a deployment by prediction id, ids in ``[first_id, last_id]``.

        Prediction ids start with their time (``tunelab.server``'s ``prediction_ids``), so an
        id range is a time range."""
        query = select(PredictionLabelRow.prediction_id, PredictionLabelRow.label).where(
            PredictionLabelRow.deployment_id == deployment_id
        )
        if first_id is not None:
            query = query.where(PredictionLabelRow.prediction_id >= first_id)
        if last_id is not None:
            query = query.where(PredictionLabelRow.prediction_id <= last_id)
        with self._read() as s:
            return {key: label for key, label in s.execute(query)}

    # ----- alert rules and alerts -----------------------------------------------------------
    def add_alert_rule(
        self,
        deployment_id: str,
        *,
        kind: str,
        params: dict[str, Any],
        webhook_url: str | None = None,
    ) -> dict[str, Any]:
        row = AlertRuleRow(
            id=new_id(),
            deployment_id=deployment_id,
            kind=kind,
            params=jsonable(params),
            webhook_url=webhook_url,
            enabled=True,
            created_at=utcnow(),
        )
        with self._write() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            s.add(row)
        return _rule(row)

    def list_alert_rules(self, deployment_id: str | None = None) -> list[dict[str, Any]]:
        query = select(AlertRuleRow).order_by(AlertRuleRow.created_at, AlertRuleRow.id)
        if deployment_id is not None:
            query = query.where(AlertRuleRow.deployment_id == deployment_id)
        with self._read() as s:
            return [_rule(r) for r in s.scalars(query)]

    def delete_alert_rule(self, deployment_id: str, rule_id: str) -> None:
        with self._write() as s:
            row = s.get(AlertRuleRow, rule_id)
            if row is None or row.deployment_id != deployment_id:
                raise NotFoundError(f"alert rule {rule_id!r} not found")
            s.delete(row)

    def mark_rule_checked(self, rule_id: str) -> None:
        with self._write() as s:
            row = s.get(AlertRuleRow, rule_id)
            if row is not None:
                row.checked_at = utcnow()

    def add_alert(
        self,
        rule_id: str,
        deployment_id: str,
        *,
        message: str,
        details: dict[str, Any],
        delivered: bool | None = None,
        delivery_error: str | None = None,
    ) -> dict[str, Any]:
        row = AlertRow(
            rule_id=rule_id,
            deployment_id=deployment_id,
            message=message,
            details=jsonable(details),
            delivered=delivered,
            delivery_error=delivery_error,
            created_at=utcnow(),
        )
        with self._write() as s:
            s.add(row)
        return _alert(row)

    def last_alert_at(self, rule_id: str) -> datetime | None:
        """When the rule last fired (None: never)."""
        with self._read() as s:
            return s.scalar(
                select(func.max(AlertRow.created_at)).where(AlertRow.rule_id == rule_id)
            )

    def list_alerts(self, deployment_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        query = (
            select(AlertRow)
            .where(AlertRow.deployment_id == deployment_id)
            .order_by(AlertRow.id.desc())
            .limit(limit)
        )
        with self._read() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            return [_alert(r) for r in s.scalars(query)]

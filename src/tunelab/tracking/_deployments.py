"""Models, deployments and the prediction history."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from tunelab.entities.auth import ResourceKind, acting_user
from tunelab.entities.platform import (
    ConflictError,
    Deployment,
    DeploymentStatus,
    Model,
    Prediction,
)
from tunelab.tracking._auth import (
    check_visible,
    name_taken_by_others,
    record_owner,
    visible_clause,
)
from tunelab.tracking._base import (
    StoreBase,
    new_id,
    to_deployment,
    to_model,
    to_prediction,
)
from tunelab.tracking._json import jsonable
from tunelab.tracking._orm import (
    DeploymentRow,
    ExperimentRow,
    ModelRow,
    ModelVersionRow,
    PredictionRow,
    utcnow,
)


class DeploymentStoreMixin(StoreBase):
    # ----- models ---------------------------------------------------------------------------
    def add_model(
        self,
        *,
        name: str,
        uri: str,
        experiment_id: str | None = None,
        task: str | None = None,
        metrics: dict[str, Any] | None = None,
        id: str | None = None,
    ) -> Model:
        row = ModelRow(
            id=id or new_id(),
            name=name,
            uri=uri,
            experiment_id=experiment_id,
            task=task,
            metrics=jsonable(metrics or {}),
            created_at=utcnow(),
        )
        with self._write() as s:
            if experiment_id is not None:
                self._get(s, ExperimentRow, experiment_id, "experiment")
            s.add(row)
            record_owner(s, ResourceKind.MODEL, row.id)
        return to_model(row)

    def get_model(self, model_id: str) -> Model:
        with self._read() as s:
            return to_model(self._get(s, ModelRow, model_id, "model"))

    def list_models(
        self, *, experiment_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Model]:
        query = select(ModelRow).where(visible_clause(ResourceKind.MODEL, ModelRow.id))
        if experiment_id is not None:
            query = query.where(ModelRow.experiment_id == experiment_id)
        query = query.order_by(ModelRow.created_at.desc(), ModelRow.id).limit(limit).offset(offset)
        with self._read() as s:
            return [to_model(r) for r in s.scalars(query)]

    def delete_model(self, model_id: str, *, cascade: bool = False) -> list[str]:
        """Delete a model; refused while deployed unless ``cascade`` (then its deployments go).

        Returns the ids of the deployments deleted with it.
        """
        with self._write() as s:
            row = self._get(s, ModelRow, model_id, "model")
            deployments = list(
                s.scalars(select(DeploymentRow).where(DeploymentRow.model_id == model_id))
            )
            versions = list(
                s.scalars(select(ModelVersionRow).where(ModelVersionRow.model_id == model_id))
            )
            if versions:
                labels = ", ".join(f"{v.name}/{v.version}" for v in versions)
                raise ConflictError(
                    f"model {model_id!r} is registered as {labels}; it cannot be deleted"
                )
            if deployments and not cascade:
                ids = ", ".join(d.id for d in deployments)
                raise ConflictError(
                    f"model {model_id!r} is deployed ({ids}); delete the deployments first "
                    "or ask for a cascading delete"
                )
            for deployment in deployments:
                s.delete(deployment)
            s.flush()
            s.delete(row)
            return [d.id for d in deployments]

    # ----- deployments ----------------------------------------------------------------------
    def create_deployment(self, model_id: str, *, name: str | None = None) -> Deployment:
        """Deploy a model; ``version`` counts deployments of the same name.

        Without a name, the name says where the model came from: ``<experiment> · <model>``
        (``<experiment>`` alone when the model's name already starts with it), so deploying
        the next run's model of an experiment gives the next version of the same name.
        """
        with self._write() as s:
            model = self._get(s, ModelRow, model_id, "model")
            check_visible(s, ResourceKind.MODEL, model_id)
            name = deployment_name(s, name, _default_name(s, model))
            latest = s.scalar(
                select(func.max(DeploymentRow.version)).where(DeploymentRow.name == name)
            )
            row = DeploymentRow(
                id=new_id(),
                model_id=model_id,
                name=name,
                version=(latest or 0) + 1,
                status=DeploymentStatus.ACTIVE.value,
                created_at=utcnow(),
            )
            s.add(row)
            record_owner(s, ResourceKind.DEPLOYMENT, row.id)
        return to_deployment(row)

    def get_deployment(self, deployment_id: str) -> Deployment:
        with self._read() as s:
            return to_deployment(self._get(s, DeploymentRow, deployment_id, "deployment"))

    def list_deployments(
        self, *, model_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Deployment]:
        query = select(DeploymentRow).where(
            visible_clause(ResourceKind.DEPLOYMENT, DeploymentRow.id)
        )
        if model_id is not None:
            query = query.where(DeploymentRow.model_id == model_id)
        query = query.order_by(DeploymentRow.created_at.desc(), DeploymentRow.id)
        with self._read() as s:
            return [to_deployment(r) for r in s.scalars(query.limit(limit).offset(offset))]

    def set_deployment_status(self, deployment_id: str, status: DeploymentStatus) -> Deployment:
        with self._write() as s:
            row = self._get(s, DeploymentRow, deployment_id, "deployment")
            row.status = status.value
        return to_deployment(row)

    def delete_deployment(self, deployment_id: str) -> None:
        """Delete a deployment and its prediction history."""
        with self._write() as s:
            s.delete(self._get(s, DeploymentRow, deployment_id, "deployment"))

    # ----- predictions ----------------------------------------------------------------------
    def add_prediction(
        self,
        deployment_id: str,
        *,
        inputs: list[dict[str, Any]],
        outputs: dict[str, Any],
        latency_ms: float,
        explanation: dict[str, Any] | None = None,
    ) -> Prediction:
        row = PredictionRow(
            deployment_id=deployment_id,
            inputs=jsonable(inputs),
            outputs=jsonable(outputs),
            explanation=jsonable(explanation),
            latency_ms=latency_ms,
            created_at=utcnow(),
        )
        with self._write() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            s.add(row)
        return to_prediction(row)

    def add_predictions(self, rows: list[tuple[str, dict[str, Any]]]) -> int:
        """Store many ``(deployment_id, {inputs, outputs, latency_ms, explanation?})`` at once.

        One transaction; rows of deployments deleted meanwhile are dropped. Returns the count
        stored.
        """
        if not rows:
            return 0
        ids = {deployment_id for deployment_id, _ in rows}
        now = utcnow()
        with self._write() as s:
            alive = set(s.scalars(select(DeploymentRow.id).where(DeploymentRow.id.in_(ids))))
            objects = [
                PredictionRow(
                    deployment_id=deployment_id,
                    inputs=jsonable(row["inputs"]),
                    outputs=jsonable(row["outputs"]),
                    explanation=jsonable(row.get("explanation")),
                    latency_ms=float(row["latency_ms"]),
                    created_at=now,
                    model_id=row.get("model_id"),
                    model_ref=row.get("model"),
                    shadow=bool(row.get("shadow", False)),
                )
                for deployment_id, row in rows
                if deployment_id in alive
            ]
            s.add_all(objects)
        return len(objects)

    def set_prediction_explanations(self, explanations: dict[int, dict[str, Any]]) -> None:
        """Attach explanations to stored predictions (by prediction id)."""
        if not explanations:
            return
        with self._write() as s:
            for row in s.scalars(
                select(PredictionRow).where(PredictionRow.id.in_(list(explanations)))
            ):
                row.explanation = jsonable(explanations[row.id])

    def latency_quantile(
        self,
        deployment_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        q: float = 0.95,
    ) -> tuple[float | None, int]:
        """The ``q`` quantile of the latency (ms) of the deployment's predictions in
        ``[start, end)`` (shadow copies left out; the same rank rule as
        ``prediction_stats``) and how many there were; ``(None, 0)`` for none."""
        where = (PredictionRow.deployment_id == deployment_id) & (PredictionRow.shadow.is_(False))
        if start is not None:
            where &= PredictionRow.created_at >= start
        if end is not None:
            where &= PredictionRow.created_at < end
        with self._read() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            n = int(s.scalar(select(func.count(PredictionRow.id)).where(where)) or 0)
            if n == 0:
                return None, 0
            value = s.scalar(
                select(PredictionRow.latency_ms)
                .where(where)
                .order_by(PredictionRow.latency_ms)
                .offset(min(n - 1, int(q * n)))
                .limit(1)
            )
        return (None if value is None else float(value)), n

    def prediction_stats(self, deployment_id: str) -> dict[str, Any]:
        """Count, latency mean/p50/p95/max (ms) and the last time of a deployment's predictions.

        Percentiles come from the newest 5,000 predictions.
        """
        with self._read() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            where = (PredictionRow.deployment_id == deployment_id) & (
                PredictionRow.shadow.is_(False)
            )
            count, last = s.execute(
                select(func.count(PredictionRow.id), func.max(PredictionRow.created_at)).where(
                    where
                )
            ).one()
            latencies = sorted(
                s.scalars(
                    select(PredictionRow.latency_ms)
                    .where(where)
                    .order_by(PredictionRow.id.desc())
                    .limit(5000)
                )
            )
        out: dict[str, Any] = {"count": int(count), "last_prediction_at": last}
        if latencies:
            n = len(latencies)
            out.update(
                latency_mean_ms=sum(latencies) / n,
                latency_p50_ms=latencies[min(n - 1, int(0.5 * n))],
                latency_p95_ms=latencies[min(n - 1, int(0.95 * n))],
                latency_max_ms=latencies[-1],
            )
        return out

    def list_predictions(
        self,
        deployment_id: str,
        *,
        limit: int = 50,
        before_id: int | None = None,
        shadow: bool | None = False,
    ) -> list[Prediction]:
        """Newest first; pass the smallest id seen as ``before_id`` for the next page.

        ``shadow``: False (default) lists answered predictions, True only shadow copies,
        None both.
        """
        query = select(PredictionRow).where(PredictionRow.deployment_id == deployment_id)
        if shadow is not None:
            query = query.where(PredictionRow.shadow.is_(shadow))
        if before_id is not None:
            query = query.where(PredictionRow.id < before_id)
        query = query.order_by(PredictionRow.id.desc()).limit(limit)
        with self._read() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            return [to_prediction(r) for r in s.scalars(query)]


def deployment_name(s: Any, wanted: str | None, default: str) -> str:
    """The name of a new deployment: a name serves under /v2 and /serve, so one whose
    deployments the acting user may not change is taken (a default name gets their name)."""
    name = wanted or default
    ids = s.scalars(select(DeploymentRow.id).where(DeploymentRow.name == name)).all()
    if not name_taken_by_others(s, ResourceKind.DEPLOYMENT, ids):
        return name
    if wanted:
        raise ConflictError(f"deployment name {wanted!r} is taken: choose another name")
    principal = acting_user.get()
    assert principal is not None
    return f"{default} ({principal.name})"[:255]


def _default_name(s: Any, model: ModelRow) -> str:
    """``<experiment> · <model name>``, or the model's name when it has no experiment."""
    experiment = s.get(ExperimentRow, model.experiment_id) if model.experiment_id else None
    if experiment is None or model.name.startswith(experiment.name):
        return model.name[:255]
    return f"{experiment.name} · {model.name}"[:255]

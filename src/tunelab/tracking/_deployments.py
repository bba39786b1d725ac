"""Models, deployments and the prediction history."""

from typing import Any

from sqlalchemy import func, select

from tunelab.entities.platform import (
    ConflictError,
    Deployment,
    DeploymentStatus,
    Model,
    Prediction,
)
from tunelab.tracking._base import (
    StoreBase,
    new_id,
    to_deployment,
    to_model,
    to_prediction,
)
from tunelab.tracking._json import jsonable
from tunelab.tracking._orm import DeploymentRow, ExperimentRow, ModelRow, PredictionRow, utcnow


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
        return to_model(row)

    def get_model(self, model_id: str) -> Model:
        with self._read() as s:
            return to_model(self._get(s, ModelRow, model_id, "model"))

    def list_models(
        self, *, experiment_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Model]:
        query = select(ModelRow)
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
        """Deploy a model; ``version`` counts deployments of the same name."""
        with self._write() as s:
            model = self._get(s, ModelRow, model_id, "model")
            name = name or model.name
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
        return to_deployment(row)

    def get_deployment(self, deployment_id: str) -> Deployment:
        with self._read() as s:
            return to_deployment(self._get(s, DeploymentRow, deployment_id, "deployment"))

    def list_deployments(
        self, *, model_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Deployment]:
        query = select(DeploymentRow)
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

    def list_predictions(
        self, deployment_id: str, *, limit: int = 50, before_id: int | None = None
    ) -> list[Prediction]:
        """Newest first; pass the smallest id seen as ``before_id`` for the next page."""
        query = select(PredictionRow).where(PredictionRow.deployment_id == deployment_id)
        if before_id is not None:
            query = query.where(PredictionRow.id < before_id)
        query = query.order_by(PredictionRow.id.desc()).limit(limit)
        with self._read() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            return [to_prediction(r) for r in s.scalars(query)]

"""The model registry: registered models, numbered versions, movable aliases (with their
history) and the traffic configuration of deployments."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tunelab.entities.auth import ResourceKind, acting_user
from tunelab.entities.errors import ConfigError
from tunelab.entities.platform import ConflictError, Deployment, DeploymentStatus, NotFoundError
from tunelab.entities.registry import (
    AliasEvent,
    ModelReference,
    ModelVersion,
    RegisteredModel,
    Traffic,
    check_alias,
    check_model_name,
)
from tunelab.tracking._auth import check_visible, record_owner, visible_clause
from tunelab.tracking._base import StoreBase, new_id, to_deployment
from tunelab.tracking._deployments import deployment_name
from tunelab.tracking._json import jsonable
from tunelab.tracking._orm import (
    AliasEventRow,
    DatasetRow,
    DeploymentRow,
    DeploymentTrafficRow,
    ExperimentRow,
    ModelAliasRow,
    ModelRow,
    ModelVersionRow,
    RegisteredModelRow,
    utcnow,
)

LOCAL_ACTOR = "local"  # who moved an alias without a signed-in user (CLI, single-user mode)


def _actor(actor: str) -> str:
    """The signed-in user's name unless the caller named someone else."""
    principal = acting_user.get()
    return principal.name if actor == LOCAL_ACTOR and principal is not None else actor


def _version(r: ModelVersionRow, aliases: tuple[str, ...] = ()) -> ModelVersion:
    return ModelVersion(
        name=r.name,
        version=r.version,
        model_id=r.model_id,
        created_at=r.created_at,
        task=r.task,
        metrics=dict(r.metrics or {}),
        lineage=dict(r.lineage or {}),
        tags=dict(r.tags or {}),
        aliases=aliases,
    )


def _event(r: AliasEventRow) -> AliasEvent:
    return AliasEvent(
        id=r.id,
        name=r.name,
        alias=r.alias,
        from_version=r.from_version,
        to_version=r.to_version,
        actor=r.actor,
        created_at=r.created_at,
    )


def _traffic(r: DeploymentTrafficRow) -> Traffic:
    return Traffic(
        deployment_id=r.deployment_id,
        routes=[dict(route) for route in r.routes],
        shadow=list(r.shadow),
        sticky=bool(r.sticky),
        updated_at=r.updated_at,
    )


def references_of(traffic: Traffic) -> list[str]:
    """Every model reference a traffic configuration names (routes, then shadows)."""
    return [str(route["model"]) for route in traffic.routes] + list(traffic.shadow)


class RegistryStoreMixin(StoreBase):
    # ----- registered models ----------------------------------------------------------------
    def create_registered_model(self, name: str, *, description: str = "") -> RegisteredModel:
        check_model_name(name)
        now = utcnow()
        with self._write() as s:
            if s.get(RegisteredModelRow, name) is not None:
                raise ConflictError(f"registered model {name!r} already exists")
            row = RegisteredModelRow(
                name=name, description=description or "", created_at=now, updated_at=now
            )
            s.add(row)
            record_owner(s, ResourceKind.REGISTERED_MODEL, name)
        return RegisteredModel(name, row.description, now, now)

    def _registered(self, s: Session, name: str) -> RegisteredModelRow:
        row = s.get(RegisteredModelRow, name)
        if row is None:
            raise NotFoundError(f"registered model {name!r} does not exist")
        return row

    def _to_registered(self, s: Session, row: RegisteredModelRow) -> RegisteredModel:
        aliases = s.execute(
            select(ModelAliasRow.alias, ModelAliasRow.version)
            .where(ModelAliasRow.name == row.name)
            .order_by(ModelAliasRow.alias)
        ).all()
        latest = s.scalar(
            select(func.max(ModelVersionRow.version)).where(ModelVersionRow.name == row.name)
        )
        return RegisteredModel(
            name=row.name,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
            aliases={alias: version for alias, version in aliases},
            latest_version=latest,
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self._read() as s:
            return self._to_registered(s, self._registered(s, name))

    def list_registered_models(
        self, *, limit: int = 100, offset: int = 0
    ) -> list[RegisteredModel]:
        query = select(RegisteredModelRow).where(
            visible_clause(ResourceKind.REGISTERED_MODEL, RegisteredModelRow.name)
        )
        query = query.order_by(RegisteredModelRow.name)
        with self._read() as s:
            rows = list(s.scalars(query.limit(limit).offset(offset)))
            names = [row.name for row in rows]
            aliases: dict[str, dict[str, int]] = {name: {} for name in names}
            for name, alias, version in s.execute(  # the whole page in two queries
                select(ModelAliasRow.name, ModelAliasRow.alias, ModelAliasRow.version)
                .where(ModelAliasRow.name.in_(names))
                .order_by(ModelAliasRow.alias)
            ):
                aliases[name][alias] = version
            latest = dict(
                s.execute(
                    select(ModelVersionRow.name, func.max(ModelVersionRow.version))
                    .where(ModelVersionRow.name.in_(names))
                    .group_by(ModelVersionRow.name)
                ).all()
            )
            return [
                RegisteredModel(
                    name=row.name,
                    description=row.description,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                    aliases=aliases[row.name],
                    latest_version=latest.get(row.name),
                )
                for row in rows
            ]

    # ----- versions -------------------------------------------------------------------------
    def add_model_version(
        self, name: str, model_id: str, *, tags: dict[str, str] | None = None
    ) -> ModelVersion:
        """Register ``model_id`` as the next version of ``name``, with its metrics and lineage
        (experiment, dataset fingerprint, settings) copied from the store."""
        with self._write() as s:
            registered = self._registered(s, name)
            model = self._get(s, ModelRow, model_id, "model")
            check_visible(s, ResourceKind.MODEL, model_id)
            latest = s.scalar(
                select(func.max(ModelVersionRow.version)).where(ModelVersionRow.name == name)
            )
            row = ModelVersionRow(
                name=name,
                version=(latest or 0) + 1,
                model_id=model.id,
                task=model.task,
                metrics=jsonable(model.metrics or {}),
                lineage=jsonable(self._lineage(s, model)),
                tags={str(k): str(v) for k, v in (tags or {}).items()},
                created_at=utcnow(),
            )
            s.add(row)
            registered.updated_at = row.created_at
        return _version(row)

    @staticmethod
    def _lineage(s: Session, model: ModelRow) -> dict[str, Any]:
        lineage: dict[str, Any] = {"model_name": model.name, "experiment_id": model.experiment_id}
        experiment = s.get(ExperimentRow, model.experiment_id) if model.experiment_id else None
        if experiment is not None:
            dataset = s.get(DatasetRow, experiment.dataset_id)
            lineage.update(
                experiment_name=experiment.name,
                dataset_id=experiment.dataset_id,
                dataset_name=None if dataset is None else dataset.name,
                dataset_fingerprint=None if dataset is None else dataset.sha256,
                target=experiment.target,
                task=experiment.task,
                metric=experiment.metric,
                settings=dict(experiment.settings or {}),
            )
        return lineage

    def _version_row(self, s: Session, name: str, version: int) -> ModelVersionRow:
        self._registered(s, name)
        row = s.get(ModelVersionRow, (name, version))
        if row is None:
            raise NotFoundError(f"registered model {name!r} has no version {version}")
        return row

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        with self._read() as s:
            return self._with_aliases(s, [self._version_row(s, name, version)])[0]

    def list_model_versions(self, name: str) -> list[ModelVersion]:
        """Newest version first."""
        with self._read() as s:
            self._registered(s, name)
            rows = s.scalars(
                select(ModelVersionRow)
                .where(ModelVersionRow.name == name)
                .order_by(ModelVersionRow.version.desc())
            )
            return self._with_aliases(s, list(rows))

    def versions_of_model(self, model_id: str) -> list[ModelVersion]:
        """The registry versions pointing at a model (oldest first)."""
        with self._read() as s:
            rows = s.scalars(
                select(ModelVersionRow)
                .where(ModelVersionRow.model_id == model_id)
                .order_by(ModelVersionRow.created_at, ModelVersionRow.name)
            )
            return [_version(r) for r in rows]

    @staticmethod
    def _with_aliases(s: Session, rows: list[ModelVersionRow]) -> list[ModelVersion]:
        names = {r.name for r in rows}
        by_version: dict[tuple[str, int], list[str]] = {}
        for alias in s.scalars(select(ModelAliasRow).where(ModelAliasRow.name.in_(names))):
            by_version.setdefault((alias.name, alias.version), []).append(alias.alias)
        return [_version(r, tuple(sorted(by_version.get((r.name, r.version), [])))) for r in rows]

    def resolve_reference(self, reference: str) -> ModelVersion:
        """The version ``name@alias`` or ``name/3`` points at now (NotFoundError naming what
        is missing, ConfigError for a malformed reference)."""
        ref = ModelReference.parse(reference)
        with self._read() as s:
            version = ref.version
            if ref.alias is not None:
                self._registered(s, ref.name)
                alias = s.get(ModelAliasRow, (ref.name, ref.alias))
                if alias is None:
                    raise NotFoundError(
                        f"registered model {ref.name!r} has no alias {ref.alias!r}"
                    )
                version = alias.version
            assert version is not None
            return self._with_aliases(s, [self._version_row(s, ref.name, version)])[0]

    # ----- aliases --------------------------------------------------------------------------
    def set_alias(
        self, name: str, alias: str, version: int, *, actor: str = LOCAL_ACTOR
    ) -> AliasEvent:
        """Point ``alias`` at ``version`` (create or move it); the move is recorded."""
        check_alias(alias)
        now = utcnow()
        with self._write() as s:
            registered = self._registered(s, name)
            self._version_row(s, name, version)
            row = s.get(ModelAliasRow, (name, alias))
            before = None if row is None else row.version
            if row is None:
                s.add(ModelAliasRow(name=name, alias=alias, version=version, updated_at=now))
            else:
                row.version, row.updated_at = version, now
            event = AliasEventRow(
                name=name,
                alias=alias,
                from_version=before,
                to_version=version,
                actor=_actor(actor),
                created_at=now,
            )
            s.add(event)
            registered.updated_at = now
            s.flush()
            return _event(event)

    def delete_alias(self, name: str, alias: str, *, actor: str = LOCAL_ACTOR) -> AliasEvent:
        """Remove an alias (recorded); refused while a deployment's traffic names it."""
        check_alias(alias)
        reference = f"{name}@{alias}"
        now = utcnow()
        with self._write() as s:
            registered = self._registered(s, name)
            row = s.get(ModelAliasRow, (name, alias))
            if row is None:
                raise NotFoundError(f"registered model {name!r} has no alias {alias!r}")
            users = [
                t.deployment_id
                for t in map(_traffic, s.scalars(select(DeploymentTrafficRow)))
                if reference in references_of(t)
            ]
            if users:
                raise ConflictError(
                    f"alias {reference!r} is used by deployment(s) {', '.join(users)}; "
                    "change their traffic first"
                )
            event = AliasEventRow(
                name=name,
                alias=alias,
                from_version=row.version,
                to_version=None,
                actor=_actor(actor),
                created_at=now,
            )
            s.delete(row)
            s.add(event)
            registered.updated_at = now
            s.flush()
            return _event(event)

    def alias_history(self, name: str, *, limit: int = 200) -> list[AliasEvent]:
        """Every alias move of a registered model, newest first."""
        with self._read() as s:
            self._registered(s, name)
            rows = s.scalars(
                select(AliasEventRow)
                .where(AliasEventRow.name == name)
                .order_by(AliasEventRow.id.desc())
                .limit(limit)
            )
            return [_event(r) for r in rows]

    # ----- deployments by reference and their traffic ---------------------------------------
    def deploy_reference(self, reference: str, *, name: str | None = None) -> Deployment:
        """Deploy ``name@alias`` / ``name/3``: one route taking all traffic (the alias is
        followed when it moves)."""
        version = self.resolve_reference(reference)
        now = utcnow()
        with self._write() as s:
            check_visible(s, ResourceKind.REGISTERED_MODEL, version.name)
            name = deployment_name(s, name, version.name)
            latest = s.scalar(
                select(func.max(DeploymentRow.version)).where(DeploymentRow.name == name)
            )
            row = DeploymentRow(
                id=new_id(),
                model_id=version.model_id,
                name=name,
                version=(latest or 0) + 1,
                status=DeploymentStatus.ACTIVE.value,
                created_at=now,
            )
            s.add(row)
            s.flush()
            record_owner(s, ResourceKind.DEPLOYMENT, row.id)
            s.add(
                DeploymentTrafficRow(
                    deployment_id=row.id,
                    routes=[{"model": reference, "weight": 100.0}],
                    shadow=[],
                    sticky=False,
                    updated_at=now,
                )
            )
        return to_deployment(row)

    def get_traffic(self, deployment_id: str) -> Traffic | None:
        """The deployment's traffic, or None when it serves its one model directly."""
        with self._read() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            row = s.get(DeploymentTrafficRow, deployment_id)
            return None if row is None else _traffic(row)

    def set_traffic(
        self,
        deployment_id: str,
        *,
        routes: list[dict[str, Any]],
        shadow: list[str],
        sticky: bool,
    ) -> Traffic:
        """Store a deployment's traffic (routes ``{"model": ref, "weight": w}``); the
        references must resolve now."""
        if not routes:
            raise ConfigError("routes: give at least one route")
        weights = [float(r["weight"]) for r in routes]
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ConfigError("routes: weights must be >= 0 and sum to more than 0")
        references = [str(r["model"]) for r in routes] + list(shadow)
        for reference in references:
            self.resolve_reference(reference)
        now = utcnow()
        clean = [{"model": str(r["model"]), "weight": float(r["weight"])} for r in routes]
        with self._write() as s:
            self._get(s, DeploymentRow, deployment_id, "deployment")
            for name in dict.fromkeys(ModelReference.parse(r).name for r in references):
                # a route serves what the caller may see (serving itself does not ask again)
                check_visible(s, ResourceKind.REGISTERED_MODEL, name)
            row = s.get(DeploymentTrafficRow, deployment_id)
            if row is None:
                row = DeploymentTrafficRow(deployment_id=deployment_id)
                s.add(row)
            row.routes, row.shadow, row.sticky, row.updated_at = clean, list(shadow), sticky, now
            s.flush()
            return _traffic(row)

    def deployments_following(self, name: str) -> list[str]:
        """Ids of deployments whose traffic names a reference of registered model ``name``."""
        with self._read() as s:
            rows = [_traffic(r) for r in s.scalars(select(DeploymentTrafficRow))]
        prefixes = (f"{name}@", f"{name}/")
        return [
            t.deployment_id
            for t in rows
            if any(ref.startswith(prefixes) for ref in references_of(t))
        ]

    def active_deployment_named(self, name: str) -> Deployment | None:
        """The newest active deployment called ``name``, else the deployment with id ``name``."""
        with self._read() as s:
            row = s.scalars(
                select(DeploymentRow)
                .where(
                    DeploymentRow.name == name,
                    DeploymentRow.status == DeploymentStatus.ACTIVE.value,
                )
                .order_by(DeploymentRow.version.desc())
                .limit(1)
            ).first()
            row = row or s.get(DeploymentRow, name)
            return None if row is None else to_deployment(row)

    def set_deployment_model(self, deployment_id: str, model_id: str) -> Deployment:
        """Record the model a deployment's first route serves now (after an alias moved or
        its traffic changed), so its details, usage and bundle download follow."""
        with self._write() as s:
            row = self._get(s, DeploymentRow, deployment_id, "deployment")
            self._get(s, ModelRow, model_id, "model")
            row.model_id = model_id
        return to_deployment(row)

    def last_alias_event_id(self) -> int:
        """The id of the newest alias move (0 if none): cheap to poll for moves made by other
        processes."""
        with self._read() as s:
            return int(s.scalar(select(func.max(AliasEventRow.id))) or 0)

    def alias_moves_since(self, event_id: int) -> set[str]:
        """Names of registered models with an alias move after ``event_id``."""
        with self._read() as s:
            query = select(AliasEventRow.name).where(AliasEventRow.id > event_id).distinct()
            return set(s.scalars(query))

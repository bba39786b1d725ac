"""Traffic of deployments: weighted routes between registry references (A/B, canary),
sticky by request key, and shadow references answering copies off the response path.

A ``TrafficPlan`` is an immutable snapshot holding loaded predictors. Changing traffic or
moving an alias builds the new plan first (loading bundles) and then swaps it in with one
dictionary assignment, so requests in flight finish on the old plan and none fails.
"""

import logging
import random
import threading
import time
from typing import Any

from tunelab.entities.errors import ConfigError
from tunelab.entities.platform import ConflictError, DeploymentStatus
from tunelab.server.deployments.routing import Route, TrafficPlan, check_compatible
from tunelab.server.deployments.shadow import ShadowRunner
from tunelab.server.predictor import PredictorCache
from tunelab.tracking import MetadataStore

log = logging.getLogger(__name__)
NAME_SECONDS = 2.0  # how long a deployment name -> id answer is reused (OIP, MLflow paths)


class TrafficTable:
    """The live traffic plan of each deployment, built on first use and swapped atomically."""

    def __init__(
        self,
        store: MetadataStore,
        predictors: PredictorCache,
        seed: int | None = None,
        watch_interval: float = 2.0,
    ) -> None:
        self.store = store
        self.predictors = predictors
        self.seed = seed
        self.shadow = ShadowRunner(predictors)
        self.watch_interval = watch_interval
        self.followed_event_id = 0  # the newest alias move the watcher has acted on
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="alias-watch", daemon=True)
        self._watcher.start()
        self._plans: dict[str, TrafficPlan] = {}
        self._names: dict[str, tuple[str, float]] = {}  # name -> (deployment id, until)
        self._build_lock = threading.Lock()
        predictors.forget_hooks.append(self.forget)
        predictors.warm_hooks.append(self.plan)  # load every route's bundle at start/deploy

    def loaded(self, deployment_id: str) -> TrafficPlan | None:
        return self._plans.get(deployment_id)

    def named(self, name: str) -> str | None:
        """The deployment id last found for ``name``, while fresh and its plan is loaded
        (a deleted or redeployed deployment drops every name: see ``forget``/``plan``)."""
        hit = self._names.get(name)
        if hit is None or hit[1] < time.monotonic() or hit[0] not in self._plans:
            return None
        return hit[0]

    def remember_name(self, name: str, deployment_id: str) -> None:
        self._names[name] = (deployment_id, time.monotonic() + NAME_SECONDS)

    def plan(self, deployment_id: str) -> TrafficPlan:
        found = self._plans.get(deployment_id)
        if found is not None:
            return found
        with self._build_lock:
            found = self._plans.get(deployment_id)
            if found is None:
                found = self.build(deployment_id)
                self._plans[deployment_id] = found
                self._names.clear()  # a new deployment may now own a name
            return found

    def build(
        self,
        deployment_id: str,
        routes: list[dict[str, Any]] | None = None,
        shadow: list[str] | None = None,
        sticky: bool | None = None,
        pins: dict[str, str] | None = None,
    ) -> TrafficPlan:
        """A plan with every bundle loaded: the stored traffic, or the one given (checked
        for compatibility: same task, input columns and classes as the first route)."""
        deployment = self.store.get_deployment(deployment_id)
        if deployment.status is not DeploymentStatus.ACTIVE:
            raise ConflictError(f"deployment {deployment_id!r} is {deployment.status.value}")
        rng = random.Random(self.seed)
        if routes is None:
            traffic = self.store.get_traffic(deployment_id)
            if traffic is None:  # one model, deployed by id
                predictor = self.predictors.get(deployment_id)
                versions = self.store.versions_of_model(predictor.model_id)
                label = versions[0].label if versions else predictor.model_id
                return TrafficPlan(
                    deployment_id, (Route(predictor.model_id, label, 1.0, predictor),), rng=rng
                )
            routes, shadow, sticky = traffic.routes, traffic.shadow, traffic.sticky
        pins = pins or {}
        made = tuple(self._route(str(r["model"]), float(r["weight"]), pins) for r in routes)
        shadows = tuple(self._route(reference, 0.0, pins) for reference in shadow or [])
        for other in made[1:] + shadows:
            check_compatible(made[0], other)
        return TrafficPlan(deployment_id, made, shadows, bool(sticky), rng=rng)

    def _route(self, reference: str, weight: float, pins: dict[str, str]) -> Route:
        version = self.store.resolve_reference(pins.get(reference, reference))
        predictor = self.predictors.for_model(version.model_id)
        return Route(reference, version.label, weight, predictor)

    def swap(self, plan: TrafficPlan) -> None:
        """Serve ``plan`` from now on; the deployment's recorded model becomes its first
        route's (details, usage and the bundle download follow)."""
        self._plans[plan.deployment_id] = plan  # one assignment: atomic for readers
        first = plan.routes[0].predictor.model_id
        if self.store.get_deployment(plan.deployment_id).model_id != first:
            self.store.set_deployment_model(plan.deployment_id, first)
            self.predictors.drop_loaded(plan.deployment_id)

    def prepare_alias_move(self, name: str, alias: str, version: int) -> list[TrafficPlan]:
        """The plans of loaded deployments following ``name@alias`` as they will be once it
        points at ``version``, built (bundles loaded, compatibility checked) before the move;
        swap them in after the store has moved the alias."""
        reference = f"{name}@{alias}"
        plans = []
        for deployment_id in self.store.deployments_following(name):
            traffic = self.store.get_traffic(deployment_id)
            if deployment_id not in self._plans or traffic is None:
                continue
            if reference not in [str(r["model"]) for r in traffic.routes] + traffic.shadow:
                continue
            try:
                plan = self.build(deployment_id, pins={reference: f"{name}/{version}"})
                old = self._plans[deployment_id]
                for before, after in zip(
                    old.routes + old.shadows, plan.routes + plan.shadows, strict=False
                ):  # callers must get answers of the same shape as before
                    check_compatible(before, after)
                plans.append(plan)
            except ConfigError as exc:
                raise ConflictError(
                    f"deployment {deployment_id} serves {reference}; version {version} does "
                    f"not fit its traffic: {exc}"
                ) from exc
        return plans

    def refresh(self, deployment_id: str) -> None:
        """Rebuild a loaded deployment's plan from the store (after an alias moved); a plan
        whose answers would change shape (task, columns, classes) is not swapped in."""
        old = self._plans.get(deployment_id)
        if old is None:
            return
        plan = self.build(deployment_id)
        if [r.label for r in plan.routes + plan.shadows] == old.labels:
            return
        for before, after in zip(
            old.routes + old.shadows, plan.routes + plan.shadows, strict=False
        ):
            check_compatible(before, after)
        self.swap(plan)

    def _watch(self) -> None:
        """Follow alias moves made by other processes (this server's own moves swap at once)."""
        try:
            last = self.store.last_alias_event_id()
        except Exception:
            log.warning("alias watch could not start", exc_info=True)
            return
        while not self._stop.wait(self.watch_interval):
            try:
                current = self.store.last_alias_event_id()
                if current == last:
                    continue
                for name in self.store.alias_moves_since(last):
                    self.refresh_following(name)
                last = self.followed_event_id = current
            except Exception:  # a database hiccup: try again next time
                log.warning("alias watch failed", exc_info=True)

    def refresh_following(self, name: str) -> None:
        """Rebuild the plans of loaded deployments naming registered model ``name``; one that
        cannot be rebuilt keeps serving its current plan (and says why in the log)."""
        for deployment_id in self.store.deployments_following(name):
            try:
                self.refresh(deployment_id)
            except Exception:
                log.warning("could not refresh traffic of %s", deployment_id, exc_info=True)

    def forget(self, deployment_id: str) -> None:
        self._plans.pop(deployment_id, None)
        self._names.clear()

    def mirror(self, plan: TrafficPlan, records: list[dict[str, Any]]) -> None:
        if plan.shadows:
            self.shadow.submit(plan.deployment_id, records, plan.shadows)

    def close(self) -> None:
        self._stop.set()
        self._watcher.join(timeout=10)
        self.shadow.close()

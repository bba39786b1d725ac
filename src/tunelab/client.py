"""``tunelab.Client``: the REST API (``/api/v1``) from Python scripts and notebooks."""

import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel

from tunelab.entities.errors import TunelabError
from tunelab.entities.platform import ArtifactTooLargeError, ConflictError, NotFoundError

if TYPE_CHECKING:
    from tunelab.entities.settings import AutoMLSettings

_FINAL_EXPERIMENT = ("finished", "stopped", "failed")


def _json(settings: "AutoMLSettings | Mapping[str, Any] | None") -> dict[str, Any]:
    if isinstance(settings, BaseModel):
        return dict(settings.stored())
    return dict(settings or {})


def _settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings JSON to send, checked by the settings model (names a bad field)."""
    from tunelab.entities.settings import parse_settings

    return parse_settings(values).stored()


_FINAL_JOB = ("succeeded", "failed", "cancelled")
TimeArg = datetime | str | None


def _window(start: TimeArg, end: TimeArg) -> dict[str, str]:
    """Query parameters of a time window (a naive datetime is taken as UTC)."""
    out = {}
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, datetime):
            value = value.isoformat()
        if value:
            out[name] = str(value)
    return out


class ApiError(TunelabError):
    """The server refused a request; ``status_code`` and ``detail`` say why."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(f"HTTP {status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


class ValidationApiError(ApiError):
    """422: a field is missing, extra or invalid (``detail`` lists them with their ``loc``)."""


_ERRORS: dict[int, type[Exception]] = {
    404: NotFoundError,
    409: ConflictError,
    413: ArtifactTooLargeError,
}


class Client:
    """A thin, typed wrapper of the tunelab REST API.

    Example::

        client = tunelab.Client("http://127.0.0.1:8000")
        dataset = client.upload_dataset("train.csv")
        experiment = client.create_experiment(dataset, target="label", time_budget=60)
        client.start_experiment(experiment)
        done = client.wait_experiment(experiment)
        deployment = client.deploy(done["best_model_id"])
        client.predict(deployment, [{"age": 31, "city": "Seoul"}])
    """

    def __init__(
        self, url: str = "http://127.0.0.1:8000", token: str | None = None, timeout: float = 60.0
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.is_success:
            return response.json() if response.content else None
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        if response.status_code == 422:
            raise ValidationApiError(422, detail)
        kind = _ERRORS.get(response.status_code)
        if kind is not None:
            raise kind(detail if isinstance(detail, str) else json.dumps(detail))
        raise ApiError(response.status_code, detail)

    # ----- system and datasets ------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def upload_dataset(self, path: str | os.PathLike[str]) -> str:
        """Upload a table file (streamed); returns the dataset id."""
        file = Path(path)
        with file.open("rb") as handle:
            return str(self._call("POST", "/datasets", files={"file": (file.name, handle)})["id"])

    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/datasets/{dataset_id}"))

    def dataset_profile(self, dataset_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/datasets/{dataset_id}/profile"))

    def list_datasets(self, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        params = {"limit": limit, "offset": offset}
        return list(self._call("GET", "/datasets", params=params)["items"])

    # ----- experiments --------------------------------------------------------------------
    def create_experiment(
        self,
        dataset_id: str,
        target: str | None,
        *,
        task: str | None = None,
        metric: str | None = None,
        time_budget: float | None = None,
        name: str | None = None,
        settings: "AutoMLSettings | Mapping[str, Any] | None" = None,
        **options: Any,
    ) -> str:
        """Create an experiment. ``settings`` (an ``AutoMLSettings`` or its JSON) and extra
        keyword arguments (``max_trials=5``...) are checked here first: a bad one raises
        ``SettingsError`` naming the field before anything is sent.

        A clustering experiment has no target: ``create_experiment(dataset_id, None,
        task="clustering", clustering={"n_clusters": "auto", "label": "segment"})``."""
        checked = _settings({**_json(settings), **options})
        body: dict[str, Any] = {"dataset_id": dataset_id, "settings": checked}
        optional = {
            "target": target,
            "task": task,
            "metric": metric,
            "time_budget": time_budget,
            "name": name,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return str(self._call("POST", "/experiments", json=body)["id"])

    def get_experiment(self, experiment_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/experiments/{experiment_id}"))

    def list_experiments(
        self, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        return list(self._call("GET", "/experiments", params=params)["items"])

    def update_experiment(
        self, experiment_id: str, *, version: int | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Change fields; ``settings`` (a mapping of top-level keys, null for the default,
        or an ``AutoMLSettings``) replaces those keys."""
        if isinstance(fields.get("settings"), BaseModel):
            fields["settings"] = fields["settings"].stored()
        body = {**fields, **({"version": version} if version is not None else {})}
        return dict(self._call("PATCH", f"/experiments/{experiment_id}", json=body))

    def start_experiment(self, experiment_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/experiments/{experiment_id}/start"))

    def stop_experiment(self, experiment_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/experiments/{experiment_id}/stop"))

    def delete_experiment(self, experiment_id: str) -> None:
        self._call("DELETE", f"/experiments/{experiment_id}")

    def wait_experiment(
        self, experiment_id: str, *, timeout: float | None = None, poll: float = 1.0
    ) -> dict[str, Any]:
        """Poll until the experiment is finished, stopped or failed; returns it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            experiment = self.get_experiment(experiment_id)
            if experiment["status"] in _FINAL_EXPERIMENT:
                return experiment
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"experiment {experiment_id} still {experiment['status']}")
            time.sleep(poll)

    def leaderboard(
        self, experiment_id: str, *, limit: int = 1000, run: int | None = None
    ) -> list[dict[str, Any]]:
        """The trials of run ``run`` (the latest run when None), best first."""
        params: dict[str, Any] = {"limit": limit}
        if run is not None:
            params["run"] = run
        return list(
            self._call("GET", f"/experiments/{experiment_id}/leaderboard", params=params)["items"]
        )

    def runs(self, experiment_id: str) -> list[dict[str, Any]]:
        """Every run of the experiment, newest first (settings, status, model, trial count)."""
        return list(self._call("GET", f"/experiments/{experiment_id}/runs"))

    def trial_model(self, experiment_id: str, run: int, number: int) -> dict[str, Any]:
        """Make a trial a model of its own: ``{model_id, job_id, status}`` (see the docs)."""
        path = f"/experiments/{experiment_id}/runs/{run}/trials/{number}/model"
        return dict(self._call("POST", path))

    # ----- models and deployments ---------------------------------------------------------
    def get_model(self, model_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/models/{model_id}"))

    def delete_model(self, model_id: str, *, cascade: bool = False) -> None:
        self._call("DELETE", f"/models/{model_id}", params={"cascade": cascade})

    def deploy(
        self, model_id: str | None = None, *, name: str | None = None, model: str | None = None
    ) -> str:
        """Deploy a model id, or a registry reference ``model="churn@champion"`` /
        ``"churn/3"`` (an alias is followed when it moves); returns the deployment id."""
        body: dict[str, Any] = {"model_id": model_id} if model is None else {"model": model}
        if name:
            body["name"] = name
        return str(self._call("POST", "/deployments", json=body)["id"])

    def predict(
        self, deployment_id: str, records: Any, *, key: str | None = None
    ) -> dict[str, Any]:
        """Predict a list of records (dicts) or a pandas DataFrame; ``key`` is sent as
        ``X-Request-Key`` (sticky traffic: same key, same version)."""
        if hasattr(records, "to_json"):
            records = json.loads(records.to_json(orient="records", date_format="iso"))
        if isinstance(records, dict):
            records = [records]
        body = {"records": list(records)}
        headers = {"X-Request-Key": key} if key else None
        path = f"/deployments/{deployment_id}/predict"
        return dict(self._call("POST", path, json=body, headers=headers))

    def set_traffic(
        self,
        deployment_id: str,
        routes: Sequence[tuple[str, float]] | Sequence[dict[str, Any]],
        *,
        shadow: Sequence[str] = (),
        sticky: bool = False,
    ) -> dict[str, Any]:
        """Split traffic, e.g. ``[("churn@champion", 90), ("churn@challenger", 10)]``."""
        body = {
            "routes": [
                r if isinstance(r, dict) else {"model": r[0], "weight": r[1]} for r in routes
            ],
            "shadow": list(shadow),
            "sticky": sticky,
        }
        return dict(self._call("PUT", f"/deployments/{deployment_id}/traffic", json=body))

    def traffic(self, deployment_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/deployments/{deployment_id}/traffic"))

    def compare_traffic(self, deployment_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/deployments/{deployment_id}/traffic/compare"))

    # ----- registry -----------------------------------------------------------------------
    def create_registered_model(self, name: str, *, description: str = "") -> dict[str, Any]:
        body = {"name": name, "description": description}
        return dict(self._call("POST", "/registry", json=body))

    def list_registered_models(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/registry")["items"])

    def get_registered_model(self, name: str) -> dict[str, Any]:
        """The model with its versions, aliases and alias history."""
        return dict(self._call("GET", f"/registry/{name}"))

    def add_model_version(
        self, name: str, model_id: str, *, tags: dict[str, str] | None = None
    ) -> int:
        """Register a model as the next version of ``name``; returns the version number."""
        body = {"model_id": model_id, "tags": tags or {}}
        return int(self._call("POST", f"/registry/{name}/versions", json=body)["version"])

    def set_alias(self, name: str, alias: str, version: int) -> dict[str, Any]:
        """Point ``alias`` at ``version`` (promote / roll back); returns the recorded move."""
        path = f"/registry/{name}/aliases/{alias}"
        return dict(self._call("PUT", path, json={"version": version}))

    def delete_alias(self, name: str, alias: str) -> None:
        self._call("DELETE", f"/registry/{name}/aliases/{alias}")

    def predictions(self, deployment_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        path = f"/deployments/{deployment_id}/predictions"
        return list(self._call("GET", path, params={"limit": limit}))

    # ----- monitoring and retraining ------------------------------------------------------
    def drift(
        self, deployment_id: str, *, start: TimeArg = None, end: TimeArg = None
    ) -> dict[str, Any]:
        """Drift of the inputs logged in ``[start, end)`` against the training reference:
        per column method, score, threshold and verdict; ``dataset_drift``; prediction drift
        (``status: "not_enough_data"`` and null verdicts below ``min_rows``)."""
        params = _window(start, end)
        return dict(self._call("GET", f"/deployments/{deployment_id}/drift", params=params))

    def monitoring_settings(self, deployment_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/deployments/{deployment_id}/monitoring/settings"))

    def set_monitoring_settings(
        self,
        deployment_id: str,
        *,
        drift_share: float = 0.5,
        min_rows: int = 500,
        columns: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Replace the drift settings; ``columns``: name -> ``{"method", "threshold"}``."""
        body = {"drift_share": drift_share, "min_rows": min_rows, "columns": dict(columns or {})}
        path = f"/deployments/{deployment_id}/monitoring/settings"
        return dict(self._call("PUT", path, json=body))

    def add_labels(
        self, deployment_id: str, labels: Mapping[str, Any] | Sequence[tuple[str, Any]]
    ) -> int:
        """Attach true labels by prediction id (``{id: label}`` or ``[(id, label)]``, ids
        from ``predict(...)["prediction_ids"]``); returns how many were stored."""
        pairs = labels.items() if isinstance(labels, Mapping) else labels
        body = {"labels": [{"prediction_id": str(i), "label": y} for i, y in pairs]}
        path = f"/deployments/{deployment_id}/labels"
        return int(self._call("POST", path, json=body)["labelled"])

    def upload_labels(
        self,
        deployment_id: str,
        path: str | os.PathLike[str],
        *,
        key_column: str,
        label_column: str,
    ) -> dict[str, Any]:
        """Attach labels from a CSV joined on ``key_column`` (a logged input field or
        ``prediction_id``): ``{"labelled", "rows", "unmatched"}``."""
        file = Path(path)
        data = {"key_column": key_column, "label_column": label_column}
        url = f"/deployments/{deployment_id}/labels/csv"
        with file.open("rb") as handle:
            files = {"file": (file.name, handle, "text/csv")}
            return dict(self._call("POST", url, files=files, data=data))

    def performance(
        self,
        deployment_id: str,
        *,
        start: TimeArg = None,
        end: TimeArg = None,
        bucket: str = "day",
    ) -> dict[str, Any]:
        """The task's metrics per ``hour``/``day``/``week`` bucket on the labelled
        predictions (95% intervals), the label-free estimate and the held-back metrics."""
        params = {**_window(start, end), "bucket": bucket}
        path = f"/deployments/{deployment_id}/performance"
        return dict(self._call("GET", path, params=params))

    def add_alert_rule(
        self,
        deployment_id: str,
        kind: str,
        params: Mapping[str, Any] | None = None,
        *,
        webhook_url: str | None = None,
    ) -> dict[str, Any]:
        """Add an alert rule (``dataset_drift``, ``column_drift``, ``metric_below``,
        ``error_rate``, ``latency_p95``); returns it with its id."""
        body: dict[str, Any] = {"kind": kind, "params": dict(params or {})}
        if webhook_url:
            body["webhook_url"] = webhook_url
        path = f"/deployments/{deployment_id}/alert-rules"
        return dict(self._call("POST", path, json=body))

    def alert_rules(self, deployment_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/deployments/{deployment_id}/alert-rules")["items"])

    def delete_alert_rule(self, deployment_id: str, rule_id: str) -> None:
        self._call("DELETE", f"/deployments/{deployment_id}/alert-rules/{rule_id}")

    def alerts(self, deployment_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """The alerts raised, newest first (message, details, whether the webhook took it)."""
        path = f"/deployments/{deployment_id}/alerts"
        return list(self._call("GET", path, params={"limit": limit})["items"])

    def check_alerts(self, deployment_id: str) -> str:
        """Queue a check of the deployment's alert rules now; returns the job id."""
        return str(self._call("POST", f"/deployments/{deployment_id}/alerts/check")["job_id"])

    def retrain(
        self,
        deployment_id: str,
        dataset_id: str | None = None,
        *,
        window: tuple[TimeArg, TimeArg] | None = None,
        include_training_data: bool = False,
        auto_promote: bool = False,
        min_improvement: float = 0.0,
    ) -> dict[str, Any]:
        """Retrain the champion on ``dataset_id``, or on the labelled predictions logged in
        ``window=(start, end)`` (optionally with the champion's training rows); returns
        ``{"job_id", "experiment_id", "name"}``. See ``retrains`` for the comparison."""
        body: dict[str, Any] = {"auto_promote": auto_promote, "min_improvement": min_improvement}
        if dataset_id is not None:
            body["dataset_id"] = dataset_id
        if window is not None:
            body["window"] = _window(*window)
            body["include_training_data"] = include_training_data
        return dict(self._call("POST", f"/deployments/{deployment_id}/retrain", json=body))

    def retrains(self, deployment_id: str) -> list[dict[str, Any]]:
        """The deployment's retrains, newest first, with the challenger's comparison."""
        return list(self._call("GET", f"/deployments/{deployment_id}/retrain")["items"])

    def promote(self, deployment_id: str, version: int) -> dict[str, Any]:
        """Make ``version`` of the deployment's registered model its ``champion``."""
        path = f"/deployments/{deployment_id}/promote"
        return dict(self._call("POST", path, json={"version": version}))

    # ----- jobs and events ----------------------------------------------------------------
    def get_job(self, job_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/jobs/{job_id}"))

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/jobs/{job_id}/cancel"))

    def wait_job(
        self, job_id: str, *, timeout: float | None = None, poll: float = 0.5
    ) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (job := self.get_job(job_id))["status"] not in _FINAL_JOB:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']}")
            time.sleep(poll)
        return job

    def events(
        self, job_id: str | None = None, *, after_id: int = 0, kinds: Sequence[str] = ()
    ) -> Iterator[dict[str, Any]]:
        """Stream job events (SSE) as dicts; with ``job_id`` it ends when the job ends."""
        params: dict[str, Any] = {"after_id": after_id}
        if job_id:
            params["job_id"] = job_id
        with self._http.stream("GET", "/events/stream", params=params, timeout=None) as response:
            if not response.is_success:
                response.read()
                self._call("GET", f"/jobs/{job_id}")  # raises the matching error
            for line in response.iter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if not kinds or event["kind"] in kinds:
                        yield event

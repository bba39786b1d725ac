"""Resources named in request bodies (JSON or form) and query strings, by route.

The middleware checks each named resource as it checks path parameters: one the caller may
not see answers 404 (it never says the resource exists), one they see but ``level`` needs more
answers 403. ``tests/unit/server/auth/test_auth_body_refs.py`` enumerates every route's body
and query fields: a field that looks like a resource reference (``*_id``, ``ids``, ``model``,
``version``...) must be in ``REFS`` or, with a reason, in ``NOT_REFS``.

Field paths: ``dataset_id`` (a top-level field or form field), ``routes[].model`` (that field
of each item of a list), ``shadow[]`` (each item of a list).
"""

from collections.abc import Callable
from dataclasses import dataclass

from tunelab.entities.auth import ResourceKind, ShareLevel
from tunelab.entities.errors import ConfigError
from tunelab.entities.registry import ModelReference
from tunelab.server.auth.policy import DEPLOYMENT_REF, JOB, ParamKind


def one(value: str) -> list[str]:
    return [value]


def comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def registered_name(value: str) -> list[str]:
    """The registered model of ``name@alias`` / ``name/3`` (a malformed one: the route's 422)."""
    try:
        return [ModelReference.parse(value).name]
    except ConfigError:
        return []


@dataclass(frozen=True)
class Ref:
    field: str
    kind: ParamKind
    where: str = "body"  # "body" (JSON or form fields) or "query"
    level: ShareLevel = ShareLevel.READ  # using a resource as input needs read
    parse: Callable[[str], list[str]] = one


_DATASET = Ref("dataset_id", ResourceKind.DATASET)
_DATASET_QUERY = Ref("dataset_id", ResourceKind.DATASET, "query")

REFS: dict[tuple[str, str], tuple[Ref, ...]] = {
    ("POST", "/api/v1/experiments"): (_DATASET,),
    ("POST", "/api/v1/experiments/{experiment_id}/copy"): (_DATASET,),
    ("POST", "/api/v1/experiments/{experiment_id}/apply-to"): (_DATASET,),
    ("POST", "/experiments/new"): (_DATASET,),
    ("GET", "/experiments/new/dataset/{dataset_id}"): (Ref("job_id", JOB, "query"),),
    ("POST", "/api/v1/deployments"): (
        Ref("model_id", ResourceKind.MODEL),
        Ref("model", ResourceKind.REGISTERED_MODEL, parse=registered_name),
        # a new version of a name serves under that name (/v2, /serve): edit on its newest
        Ref("name", DEPLOYMENT_REF, level=ShareLevel.EDIT),
    ),
    ("PUT", "/api/v1/deployments/{deployment_id}/traffic"): (
        Ref("routes[].model", ResourceKind.REGISTERED_MODEL, parse=registered_name),
        Ref("shadow[]", ResourceKind.REGISTERED_MODEL, parse=registered_name),
    ),
    ("POST", "/api/v1/deployments/{deployment_id}/batch"): (_DATASET,),
    ("POST", "/api/v1/deployments/{deployment_id}/retrain"): (_DATASET,),
    ("POST", "/deployments/{deployment_id}/monitoring/retrain"): (_DATASET,),
    ("GET", "/api/v1/deployments/compare"): (
        Ref("ids", ResourceKind.DEPLOYMENT, "query", parse=comma_list),
    ),
    ("GET", "/deployments"): (Ref("compare", ResourceKind.DEPLOYMENT, "query"),),
    ("POST", "/api/v1/models/{model_id}/evaluate"): (_DATASET,),
    ("GET", "/api/v1/models/{model_id}/evaluation"): (_DATASET_QUERY,),
    ("GET", "/api/v1/models/{model_id}/plots/{name}"): (_DATASET_QUERY,),
    ("GET", "/ui/figures/models/{model_id}/{name}"): (_DATASET_QUERY,),
    ("POST", "/api/v1/registry/{name}/versions"): (Ref("model_id", ResourceKind.MODEL),),
}

_LIST_FILTER = "filters a list that holds only what the caller may see"
_OWN_VERSION = "a version of the path's registered model (edit on it is checked by the path)"
_PROMOTE = "a version of the deployment's own registered model (promote checks edit on it)"
_POSITION = "a position in the path resource's own history"

# (method, template, field) -> why a resource-looking field names no resource to check here
NOT_REFS: dict[tuple[str, str, str], str] = {
    ("PATCH", "/api/v1/experiments/{experiment_id}", "version"): "the row version (optimistic "
    "locking), not a resource",
    ("PUT", "/api/v1/registry/{name}/aliases/{alias}", "version"): _OWN_VERSION,
    ("POST", "/registry/{name}/alias", "version"): _OWN_VERSION,
    ("POST", "/api/v1/deployments/{deployment_id}/promote", "version"): _PROMOTE,
    ("POST", "/deployments/{deployment_id}/monitoring/promote", "version"): _PROMOTE,
    ("POST", "/api/v1/deployments/{deployment_id}/labels", "labels[].prediction_id"): "labels "
    "are stored under the path's deployment: another deployment's predictions are not reached",
    ("GET", "/api/v1/deployments", "model_id"): _LIST_FILTER,
    ("GET", "/api/v1/experiments", "dataset_id"): _LIST_FILTER,
    ("GET", "/api/v1/models", "experiment_id"): _LIST_FILTER,
    ("GET", "/api/v1/deployments/{deployment_id}/predictions", "before_id"): _POSITION,
    ("GET", "/deployments/{deployment_id}/history", "before_id"): _POSITION,
    ("GET", "/api/v1/jobs/{job_id}/events", "after_id"): _POSITION,
    ("GET", "/api/v1/events/stream", "after_id"): _POSITION,
}


def refs_for(method: str, template: str) -> tuple[Ref, ...]:
    return REFS.get(("GET" if method == "HEAD" else method, template), ())

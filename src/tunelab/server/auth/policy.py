"""The one authorization table: every route of the app has a rule, looked up by path + method.

A rule names what the caller needs (``Need``) and how each path parameter maps to a resource
whose owner and sharing are checked (not visible -> 404, visible but not editable -> 403).

Lookup (``rule_for``): a rule written for the exact path template wins; otherwise the rule
with the longest matching prefix (patterns ending in ``*``); methods ``READ`` (GET, HEAD) or
``WRITE`` (POST, PUT, PATCH, DELETE) or both. A route with no rule is refused (fail closed)
and ``tests/unit/server/auth/test_auth_routes.py`` fails for it.

Adding routes: a new route under an existing family (``/api/v1/deployments/{deployment_id}/x``)
inherits that family's rule and its ``{deployment_id}`` is checked automatically (names in
``PARAM_KINDS``). Add an exact rule only to differ (``Need.PREDICT``, a read-only POST); add a
prefix rule for a new family; map any new path parameter in ``PARAM_KINDS``/``FREE_PARAMS`` or
in the rule's ``params``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from tunelab.entities.auth import ResourceKind, ShareLevel

READ = frozenset({"GET", "HEAD"})
WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANY = READ | WRITE


class Need(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    ACCOUNT = "account"  # any signed-in user, for their own account (tokens, sign-out)
    READ = "read"  # any role; token scope read or write
    WRITE = "write"  # editor or admin; token scope write
    PREDICT = "predict"  # any role; any token scope (the only thing a predict token can do)
    ADMIN = "admin"  # admin; token scope write (read for GET)


JOB = "job"  # a job is checked through the resource its payload names
DEPLOYMENT_REF = "deployment_ref"  # a deployment name (or id) of /v2 and /serve
FREE = None  # a path parameter that names no resource (a plot, a version number...)
ParamKind = ResourceKind | str | None

PARAM_KINDS: dict[str, ParamKind] = {
    "dataset_id": ResourceKind.DATASET,
    "experiment_id": ResourceKind.EXPERIMENT,
    "model_id": ResourceKind.MODEL,
    "deployment_id": ResourceKind.DEPLOYMENT,
    "job_id": JOB,
}
FREE_PARAMS = frozenset(
    {
        "plot",
        "part",
        "number",
        "version",
        "alias",
        "index",
        "upload_id",
        "action",
        "path",
        "fmt",
        "run",
        "rule_id",  # an alert rule: the store looks it up under its deployment
    }
)


@dataclass(frozen=True)
class Rule:
    pattern: str  # an exact path template, or a prefix ending in "*"
    need: Need
    methods: frozenset[str] = ANY
    params: dict[str, ParamKind] = field(default_factory=dict)  # overrides PARAM_KINDS
    level: ShareLevel | None = None  # resource level needed; default: EDIT for WRITE else READ
    query: dict[str, ParamKind] = field(default_factory=dict)  # query params naming resources
    query_required: bool = False  # non-admins must name a resource in ``query``
    audit: str = ""  # an audit-log action for successful calls (DELETE: always logged)

    def kind_of(self, param: str) -> ParamKind:
        """The resource a path parameter names; KeyError when the table does not say."""
        if param in self.params:
            return self.params[param]
        if param in PARAM_KINDS:
            return PARAM_KINDS[param]
        if param in FREE_PARAMS:
            return FREE
        raise KeyError(param)

    @property
    def needed_level(self) -> ShareLevel:
        if self.level is not None:
            return self.level
        return ShareLevel.EDIT if self.need in (Need.WRITE, Need.ADMIN) else ShareLevel.READ


def _family(prefix: str, **params: ParamKind) -> list[Rule]:
    """Read with GET, write with the other methods: the default of a resource family."""
    return [Rule(prefix, Need.READ, READ, params), Rule(prefix, Need.WRITE, WRITE, params)]


_REGISTERED: dict[str, ParamKind] = {"name": ResourceKind.REGISTERED_MODEL}

RULES: list[Rule] = [
    # public: health, sign-in, static files, protocol health probes, the OpenAPI schema
    Rule("/api/v1/health", Need.PUBLIC, READ),
    Rule("/login", Need.PUBLIC),
    Rule("/login/link/{secret}", Need.PUBLIC, READ, {"secret": FREE}),
    Rule("/ui/static/*", Need.PUBLIC, READ),
    Rule("/v2/health/*", Need.PUBLIC, READ),
    Rule("/serve/{name}/health", Need.PUBLIC, READ, {"name": FREE}),
    Rule("/serve/{name}/ping", Need.PUBLIC, READ, {"name": FREE}),
    Rule("/serve/{name}/version", Need.PUBLIC, READ, {"name": FREE}),
    # the caller's own account; users and the audit log are the admins'
    Rule("/logout", Need.ACCOUNT, WRITE),
    Rule("/api/v1/me", Need.ACCOUNT, READ),
    Rule("/api/v1/tokens*", Need.ACCOUNT, params={"prefix": FREE}),
    Rule("/api/v1/access/*", Need.ACCOUNT, params={"kind": FREE, "resource_id": FREE}),
    Rule("/account*", Need.ACCOUNT, params={"prefix": FREE}),
    Rule("/share/*", Need.ACCOUNT, params={"kind": FREE, "resource_id": FREE}),  # view checks
    Rule("/api/v1/users*", Need.ADMIN, params={"name": FREE}),
    Rule("/api/v1/audit*", Need.ADMIN),
    Rule("/admin*", Need.ADMIN, params={"name": FREE}),
    # API documentation
    Rule("/docs*", Need.READ, READ),
    Rule("/redoc", Need.READ, READ),
    Rule("/openapi.json", Need.PUBLIC, READ),  # the API's shape is no secret
    # REST API families
    *_family("/api/v1/datasets*"),
    Rule("/api/v1/datasets/samples/{name}", Need.WRITE, WRITE, {"name": FREE}),
    *_family("/api/v1/uploads*"),
    *_family("/api/v1/experiments*"),
    Rule("/api/v1/experiments/{experiment_id}/copy", Need.WRITE, WRITE, level=ShareLevel.READ),
    *_family("/api/v1/models*"),
    Rule("/api/v1/models/{model_id}/plots/{name}", Need.READ, READ, {"name": FREE}),
    *_family("/api/v1/deployments*"),
    Rule("/api/v1/deployments", Need.WRITE, WRITE, audit="deployment.create"),
    Rule(
        "/api/v1/deployments/{deployment_id}/traffic",
        Need.WRITE,
        WRITE,
        audit="deployment.traffic",
    ),
    Rule("/api/v1/deployments/{deployment_id}/predict", Need.PREDICT, WRITE),
    Rule("/api/v1/deployments/{deployment_id}/batch", Need.PREDICT, WRITE),
    *_family("/api/v1/registry*", **_REGISTERED),
    Rule(
        "/api/v1/registry/{name}/aliases/{alias}",
        Need.WRITE,
        WRITE,
        _REGISTERED,
        audit="alias.move",
    ),
    *_family("/api/v1/jobs*"),
    Rule("/api/v1/jobs", Need.ADMIN, READ),  # every job: admins (others follow their jobs)
    Rule("/api/v1/events/stream", Need.READ, READ, query={"job_id": JOB}, query_required=True),
    # serving protocols: Open Inference v2 and MLflow scoring
    Rule("/v2", Need.READ, READ),
    Rule("/v2/models/{name}*", Need.READ, READ, {"name": DEPLOYMENT_REF}),
    Rule("/v2/models/{name}/infer", Need.PREDICT, WRITE, {"name": DEPLOYMENT_REF}),
    Rule("/serve/{name}/invocations", Need.PREDICT, WRITE, {"name": DEPLOYMENT_REF}),
    # web pages
    Rule("/", Need.READ, READ),
    *_family("/experiments*"),
    *_family("/models*"),
    *_family("/deployments*"),
    Rule("/deployments/{deployment_id}/delete", Need.WRITE, WRITE, audit="deployment.delete"),
    *_family("/registry*", **_REGISTERED),
    Rule("/registry/{name}/alias", Need.WRITE, WRITE, _REGISTERED, audit="alias.move"),
    Rule(
        "/registry/{name}/alias/{alias}/delete",
        Need.WRITE,
        WRITE,
        _REGISTERED,
        audit="alias.delete",
    ),
    Rule(
        "/experiments/{experiment_id}/actions/{action}",
        Need.WRITE,
        WRITE,
        audit="experiment.action",
    ),
    Rule("/ui/figures/*", Need.READ, READ, {"name": FREE}),
]


def rule_for(method: str, path: str, rules: Iterable[Rule] = RULES) -> Rule | None:
    """The rule of a route (``path`` is its template, e.g. ``/api/v1/datasets/{dataset_id}``)."""
    best: Rule | None = None
    best_length = -1
    for rule in rules:
        if method not in rule.methods:
            continue
        if rule.pattern == path:
            return rule
        if rule.pattern.endswith("*") and path.startswith(rule.pattern[:-1]):
            length = len(rule.pattern)
            if length > best_length:
                best, best_length = rule, length
    return best


def unmapped_params(rule: Rule, params: Iterable[str]) -> list[str]:
    """The path parameters the rule does not say how to check (must be empty)."""
    missing = []
    for param in params:
        try:
            rule.kind_of(param)
        except KeyError:
            missing.append(param)
    return missing

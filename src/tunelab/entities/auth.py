"""Users, roles, API tokens, resource access and audit events (no I/O here).

``acting_user`` is the principal of the request being served (set by the server's
authorization middleware, unset in workers, the CLI and library use). The metadata store
reads it to record the owner of what it creates and to show lists filtered to what that
principal may see; unset means "no restriction" (single-user mode, jobs).
"""

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # users, settings, everything
    EDITOR = "editor"  # create and run experiments, deploy
    VIEWER = "viewer"  # read, predict on shared deployments


class Scope(StrEnum):
    """What an API token may do (a session may do everything its role allows)."""

    READ = "read"
    WRITE = "write"  # implies read
    PREDICT = "predict"  # deployments' predict endpoints only


class Visibility(StrEnum):
    PRIVATE = "private"  # the owner (and admins) only, plus named users
    EVERYONE = "everyone"  # every signed-in user may read


class ShareLevel(StrEnum):
    READ = "read"
    EDIT = "edit"


class ResourceKind(StrEnum):
    DATASET = "dataset"
    EXPERIMENT = "experiment"
    MODEL = "model"
    REGISTERED_MODEL = "registered_model"
    DEPLOYMENT = "deployment"


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: Role
    disabled: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class ApiToken:
    """A token as listed: never its secret, only the first 8 characters (``prefix``)."""

    prefix: str
    user_id: str
    user_name: str
    name: str
    scope: Scope
    created_at: datetime
    expires_at: datetime | None
    revoked: bool
    last_used_at: datetime | None


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, and the token scope when it came with a bearer token."""

    user_id: str
    name: str
    role: Role
    scope: Scope | None = None  # None: a browser session (the role alone decides)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class Access:
    """Who owns a resource and who else may see or change it."""

    kind: ResourceKind
    resource_id: str
    owner_id: str | None
    owner_name: str | None
    visibility: Visibility
    shares: dict[str, ShareLevel]  # user name -> level


@dataclass(frozen=True)
class AuditEvent:
    id: int
    actor: str
    action: str
    target: str
    detail: str
    created_at: datetime


acting_user: ContextVar[Principal | None] = ContextVar("tunelab_acting_user", default=None)

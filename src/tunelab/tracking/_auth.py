"""Users, API tokens, sessions, resource ownership and the audit log in the metadata store.

Secrets never reach this module: the caller hashes passwords (argon2) and tokens (sha256)
and hands over the hashes. Ownership: every resource created while ``acting_user`` is set
gets an access row (owner = that user, private); lists filter by it (``visible_clause``).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, event, or_, select, true
from sqlalchemy.orm import Session

from tunelab.entities.auth import (
    Access,
    ApiToken,
    AuditEvent,
    Principal,
    ResourceKind,
    Role,
    Scope,
    ShareLevel,
    User,
    Visibility,
    acting_user,
)
from tunelab.entities.platform import ConflictError, NotFoundError
from tunelab.tracking._base import StoreBase, new_id
from tunelab.tracking._orm import (
    ApiTokenRow,
    AuditEventRow,
    AuthSessionRow,
    DatasetRow,
    DeploymentRow,
    ExperimentRow,
    ModelRow,
    RegisteredModelRow,
    ResourceAccessRow,
    ResourceShareRow,
    UserRow,
    utcnow,
)

_LAST_USED_EVERY = timedelta(minutes=1)  # token use is written at most this often


def _to_user(r: UserRow) -> User:
    return User(r.id, r.name, Role(r.role), bool(r.disabled), r.created_at)


def _to_token(r: ApiTokenRow, user_name: str) -> ApiToken:
    return ApiToken(
        prefix=r.prefix,
        user_id=r.user_id,
        user_name=user_name,
        name=r.name,
        scope=Scope(r.scope),
        created_at=r.created_at,
        expires_at=r.expires_at,
        revoked=r.revoked_at is not None,
        last_used_at=r.last_used_at,
    )


def record_owner(session: Session, kind: ResourceKind, resource_id: str) -> None:
    """Give a new resource to the acting user (private); nothing without one."""
    principal = acting_user.get()
    if principal is not None:
        session.add(
            ResourceAccessRow(
                kind=kind.value,
                resource_id=resource_id,
                owner_id=principal.user_id,
                visibility=Visibility.PRIVATE.value,
            )
        )


_OWNED_ROWS: tuple[tuple[type[Any], ResourceKind, str], ...] = (
    (DatasetRow, ResourceKind.DATASET, "id"),
    (ExperimentRow, ResourceKind.EXPERIMENT, "id"),
    (ModelRow, ResourceKind.MODEL, "id"),
    (DeploymentRow, ResourceKind.DEPLOYMENT, "id"),
    (RegisteredModelRow, ResourceKind.REGISTERED_MODEL, "name"),
)


@event.listens_for(Session, "before_flush")
def _forget_deleted(session: Session, _context: Any, _instances: Any) -> None:
    """A deleted resource takes its owner and shares along (whatever deleted it); the models
    of a deleted experiment, seen with it until now, keep its owner and shares."""
    deleted = [
        (kind, getattr(obj, key))
        for obj in session.deleted
        for row_type, kind, key in _OWNED_ROWS
        if isinstance(obj, row_type)
    ]
    with session.no_autoflush:
        for kind, resource_id in deleted:
            if kind is ResourceKind.EXPERIMENT:
                _hand_down(session, resource_id)
            _drop_access(session, kind, resource_id)


def _drop_access(s: Session, kind: ResourceKind, resource_id: str) -> None:
    for row_type in (ResourceShareRow, ResourceAccessRow):
        s.execute(
            delete(row_type).where(
                row_type.kind == kind.value, row_type.resource_id == resource_id
            )
        )


def _hand_down(s: Session, experiment_id: str) -> None:
    """Give the experiment's access rows to its models that have none of their own."""
    access = s.get(ResourceAccessRow, (ResourceKind.EXPERIMENT.value, experiment_id))
    if access is None:
        return
    shares = list(
        s.scalars(
            select(ResourceShareRow).where(
                ResourceShareRow.kind == ResourceKind.EXPERIMENT.value,
                ResourceShareRow.resource_id == experiment_id,
            )
        )
    )
    owned = select(ResourceAccessRow.resource_id).where(
        ResourceAccessRow.kind == ResourceKind.MODEL.value
    )
    models = s.scalars(
        select(ModelRow.id).where(
            ModelRow.experiment_id == experiment_id, ModelRow.id.not_in(owned)
        )
    ).all()
    for model_id in models:
        s.add(
            ResourceAccessRow(
                kind=ResourceKind.MODEL.value,
                resource_id=model_id,
                owner_id=access.owner_id,
                visibility=access.visibility,
            )
        )
        for share in shares:
            s.add(
                ResourceShareRow(
                    kind=ResourceKind.MODEL.value,
                    resource_id=model_id,
                    user_id=share.user_id,
                    level=share.level,
                )
            )


def _readable_ids(kind: ResourceKind, user_id: str) -> Any:
    owned = select(ResourceAccessRow.resource_id).where(
        ResourceAccessRow.kind == kind.value,
        or_(
            ResourceAccessRow.owner_id == user_id,
            ResourceAccessRow.visibility == Visibility.EVERYONE.value,
        ),
    )
    shared = select(ResourceShareRow.resource_id).where(
        ResourceShareRow.kind == kind.value, ResourceShareRow.user_id == user_id
    )
    return owned.union(shared)


def visible_clause(kind: ResourceKind, column: Any) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of ``kind`` (id in ``column``) the acting user may see;
    always true without an acting user or for an admin."""
    principal = acting_user.get()
    if principal is None or principal.is_admin:
        return true()
    clause = column.in_(_readable_ids(kind, principal.user_id))
    if kind is ResourceKind.MODEL:  # a model made by an experiment is seen with it
        experiments = _readable_ids(ResourceKind.EXPERIMENT, principal.user_id)
        clause = or_(clause, ModelRow.experiment_id.in_(experiments))
    return clause


class AuthStoreMixin(StoreBase):
    # ----- users ------------------------------------------------------------------------------
    def create_user(self, name: str, role: Role, *, password_hash: str | None = None) -> User:
        row = UserRow(
            id=new_id(),
            name=name,
            role=Role(role).value,
            password_hash=password_hash,
            disabled=False,
            created_at=utcnow(),
        )
        with self._write() as s:
            if s.scalar(select(UserRow).where(UserRow.name == name)) is not None:
                raise ConflictError(f"user {name!r} already exists")
            s.add(row)
        return _to_user(row)

    def _user(self, s: Session, name: str) -> UserRow:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        if row is None:
            raise NotFoundError(f"user {name!r} does not exist")
        return row

    def get_user(self, name: str) -> User:
        with self._read() as s:
            return _to_user(self._user(s, name))

    def list_users(self) -> list[User]:
        with self._read() as s:
            return [_to_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]

    def count_users(self) -> int:
        return len(self.list_users())

    def password_hash(self, name: str) -> tuple[User, str | None] | None:
        """The user and their argon2 hash, or None when no such user."""
        with self._read() as s:
            row = s.scalar(select(UserRow).where(UserRow.name == name))
            return None if row is None else (_to_user(row), row.password_hash)

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self._write() as s:
            self._user(s, name).password_hash = password_hash

    def set_user_disabled(self, name: str, disabled: bool = True) -> User:
        """Disable (or enable) a user; disabling ends their sessions at once."""
        with self._write() as s:
            row = self._user(s, name)
            row.disabled = disabled
            if disabled:
                s.execute(delete(AuthSessionRow).where(AuthSessionRow.user_id == row.id))
        return _to_user(row)

    # ----- API tokens -------------------------------------------------------------------------
    def create_token(
        self,
        user_name: str,
        name: str,
        *,
        scope: Scope,
        prefix: str,
        digest: str,
        expires_at: datetime | None,
    ) -> ApiToken:
        with self._write() as s:
            user = self._user(s, user_name)
            row = ApiTokenRow(
                id=new_id(),
                user_id=user.id,
                name=name,
                prefix=prefix,
                digest=digest,
                scope=Scope(scope).value,
                created_at=utcnow(),
                expires_at=expires_at,
                revoked_at=None,
                last_used_at=None,
            )
            s.add(row)
        return _to_token(row, user_name)

    def list_tokens(self, user_name: str | None = None) -> list[ApiToken]:
        query = select(ApiTokenRow, UserRow.name).join(UserRow, UserRow.id == ApiTokenRow.user_id)
        if user_name is not None:
            query = query.where(UserRow.name == user_name)
        with self._read() as s:
            rows = s.execute(query.order_by(ApiTokenRow.created_at.desc())).all()
            return [_to_token(token, name) for token, name in rows]

    def revoke_token(self, prefix: str, *, user_id: str | None = None) -> ApiToken:
        """Revoke the token starting with ``prefix`` (of ``user_id`` only, when given)."""
        with self._write() as s:
            query = select(ApiTokenRow, UserRow.name).join(
                UserRow, UserRow.id == ApiTokenRow.user_id
            )
            query = query.where(ApiTokenRow.prefix == prefix)
            if user_id is not None:
                query = query.where(ApiTokenRow.user_id == user_id)
            found = s.execute(query).first()
            if found is None:
                raise NotFoundError(f"no token starts with {prefix!r}")
            token, name = found
            token.revoked_at = token.revoked_at or utcnow()
        return _to_token(token, name)

    def token_principal(self, digest: str) -> Principal | None:
        """The user of a live token (not revoked, not expired, user not disabled)."""
        now = utcnow()
        with self._read() as s:
            found = s.execute(
                select(ApiTokenRow, UserRow)
                .join(UserRow, UserRow.id == ApiTokenRow.user_id)
                .where(ApiTokenRow.digest == digest)
            ).first()
            if found is None:
                return None
            token, user = found
            if token.revoked_at is not None or user.disabled:
                return None
            if token.expires_at is not None and token.expires_at <= now:
                return None
            stale = token.last_used_at is None or now - token.last_used_at > _LAST_USED_EVERY
        if stale:
            with self._write() as s:
                row = s.get(ApiTokenRow, token.id)
                if row is not None:
                    row.last_used_at = now
                    s.add(
                        AuditEventRow(
                            actor=user.name,
                            action="token.use",
                            target=token.prefix,
                            detail=token.scope,
                            created_at=now,
                        )
                    )
        return Principal(user.id, user.name, Role(user.role), Scope(token.scope))

    # ----- sessions and one-time login links --------------------------------------------------
    def create_session(
        self, user_name: str, digest: str, *, kind: str = "session", lifetime: timedelta
    ) -> None:
        now = utcnow()
        with self._write() as s:
            user = self._user(s, user_name)
            s.execute(delete(AuthSessionRow).where(AuthSessionRow.expires_at <= now))
            s.add(
                AuthSessionRow(
                    digest=digest,
                    user_id=user.id,
                    kind=kind,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )

    def session_principal(self, digest: str) -> Principal | None:
        with self._read() as s:
            found = s.execute(
                select(AuthSessionRow, UserRow)
                .join(UserRow, UserRow.id == AuthSessionRow.user_id)
                .where(AuthSessionRow.digest == digest, AuthSessionRow.kind == "session")
            ).first()
        if found is None:
            return None
        session, user = found
        if user.disabled or session.expires_at <= utcnow():
            return None
        return Principal(user.id, user.name, Role(user.role))

    def consume_link(self, digest: str) -> User | None:
        """The user of a one-time login link, which is used up (None if unknown/expired)."""
        with self._write() as s:
            link = s.get(AuthSessionRow, digest)
            if link is None or link.kind != "link":
                return None
            s.delete(link)
            user = s.get(UserRow, link.user_id)
            if user is None or user.disabled or link.expires_at <= utcnow():
                return None
            return _to_user(user)

    def delete_session(self, digest: str) -> None:
        with self._write() as s:
            s.execute(delete(AuthSessionRow).where(AuthSessionRow.digest == digest))

    # ----- audit ------------------------------------------------------------------------------
    def record_audit(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        with self._write() as s:
            s.add(
                AuditEventRow(
                    actor=actor[:64],
                    action=action[:64],
                    target=target[:255],
                    detail=detail,
                    created_at=utcnow(),
                )
            )

    def list_audit(self, *, limit: int = 100, offset: int = 0) -> list[AuditEvent]:
        query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit)
        with self._read() as s:
            return [
                AuditEvent(r.id, r.actor, r.action, r.target, r.detail, r.created_at)
                for r in s.scalars(query.offset(offset))
            ]

    # ----- ownership and sharing --------------------------------------------------------------
    def get_access(self, kind: ResourceKind, resource_id: str) -> Access:
        """Owner, visibility and named shares (an unowned resource: admins only)."""
        with self._read() as s:
            row = s.get(ResourceAccessRow, (kind.value, resource_id))
            owner = s.get(UserRow, row.owner_id) if row and row.owner_id else None
            shares = s.execute(
                select(UserRow.name, ResourceShareRow.level)
                .join(UserRow, UserRow.id == ResourceShareRow.user_id)
                .where(
                    ResourceShareRow.kind == kind.value,
                    ResourceShareRow.resource_id == resource_id,
                )
                .order_by(UserRow.name)
            ).all()
        return Access(
            kind=kind,
            resource_id=resource_id,
            owner_id=owner.id if owner else None,
            owner_name=owner.name if owner else None,
            visibility=Visibility(row.visibility) if row else Visibility.PRIVATE,
            shares={name: ShareLevel(level) for name, level in shares},
        )

    def owner_names(self, kind: ResourceKind, ids: Iterable[str]) -> dict[str, str]:
        """Resource id -> owner's name, for the ids that have an owner."""
        ids = list(ids)
        if not ids:
            return {}
        with self._read() as s:
            rows = s.execute(
                select(ResourceAccessRow.resource_id, UserRow.name)
                .join(UserRow, UserRow.id == ResourceAccessRow.owner_id)
                .where(
                    ResourceAccessRow.kind == kind.value,
                    ResourceAccessRow.resource_id.in_(ids),
                )
            ).all()
        return {resource_id: name for resource_id, name in rows}

    def set_access(
        self,
        kind: ResourceKind,
        resource_id: str,
        *,
        visibility: Visibility | None = None,
        owner: str | None = None,
        shares: dict[str, ShareLevel] | None = None,
    ) -> Access:
        """Change visibility, owner (a user name) or replace the named shares."""
        with self._write() as s:
            row = s.get(ResourceAccessRow, (kind.value, resource_id))
            if row is None:
                row = ResourceAccessRow(
                    kind=kind.value,
                    resource_id=resource_id,
                    owner_id=None,
                    visibility=Visibility.PRIVATE.value,
                )
                s.add(row)
            if visibility is not None:
                row.visibility = Visibility(visibility).value
            if owner is not None:
                row.owner_id = self._user(s, owner).id
            if shares is not None:
                s.execute(
                    delete(ResourceShareRow).where(
                        ResourceShareRow.kind == kind.value,
                        ResourceShareRow.resource_id == resource_id,
                    )
                )
                for name, level in shares.items():
                    s.add(
                        ResourceShareRow(
                            kind=kind.value,
                            resource_id=resource_id,
                            user_id=self._user(s, name).id,
                            level=ShareLevel(level).value,
                        )
                    )
        return self.get_access(kind, resource_id)

    def adopt_ownerless(self, user_name: str) -> dict[ResourceKind, int]:
        """Give every resource without an owner (made before auth was on, or by a deleted
        user) to ``user_name``, private; models made by an experiment stay with it.
        Returns how many of each kind."""
        counts: dict[ResourceKind, int] = {}
        with self._write() as s:
            user_id = self._user(s, user_name).id
            for row_type, kind, key in _OWNED_ROWS:
                column = getattr(row_type, key)
                owned = select(ResourceAccessRow.resource_id).where(
                    ResourceAccessRow.kind == kind.value, ResourceAccessRow.owner_id.is_not(None)
                )
                query = select(column).where(column.not_in(owned))
                if row_type is ModelRow:
                    query = query.where(ModelRow.experiment_id.is_(None))
                ids = list(s.scalars(query))
                for resource_id in ids:
                    row = s.get(ResourceAccessRow, (kind.value, resource_id))
                    if row is None:
                        row = ResourceAccessRow(
                            kind=kind.value,
                            resource_id=resource_id,
                            visibility=Visibility.PRIVATE.value,
                        )
                        s.add(row)
                    row.owner_id = user_id
                if ids:
                    counts[kind] = len(ids)
        return counts

    def visible_ids(self, kind: ResourceKind, ids: Iterable[str]) -> set[str]:
        """The ids among ``ids`` the acting user may see, in one query (lists)."""
        wanted = set(ids)
        principal = acting_user.get()
        if principal is None or principal.is_admin or not wanted:
            return wanted
        readable = _readable_ids(kind, principal.user_id).subquery()
        with self._read() as s:
            found = s.scalars(
                select(readable.c.resource_id).where(readable.c.resource_id.in_(wanted))
            )
            return set(found)

    def may_see(self, kind: ResourceKind, resource_id: str) -> bool:
        """Whether the acting user may see a resource (always without one: CLI, jobs)."""
        principal = acting_user.get()
        return principal is None or self.permission(principal, kind, resource_id) is not None

    def may_edit(self, kind: ResourceKind, resource_id: str) -> bool:
        """Whether the acting user may change a resource (always without one: CLI, jobs)."""
        principal = acting_user.get()
        if principal is None:
            return True
        return self.permission(principal, kind, resource_id) is ShareLevel.EDIT

    def permission(
        self, principal: Principal, kind: ResourceKind, resource_id: str
    ) -> ShareLevel | None:
        """What ``principal`` may do with a resource: EDIT, READ or None (not visible)."""
        with self._read() as s:
            return permission_in(s, principal, kind, resource_id)


def permission_in(
    s: Session, principal: Principal, kind: ResourceKind, resource_id: str
) -> ShareLevel | None:
    if principal.is_admin:
        return ShareLevel.EDIT
    level = _level(s, principal.user_id, kind, resource_id)
    if kind is ResourceKind.MODEL:
        experiment_id = s.scalar(select(ModelRow.experiment_id).where(ModelRow.id == resource_id))
        if experiment_id is not None:
            inherited = _level(s, principal.user_id, ResourceKind.EXPERIMENT, experiment_id)
            level = _max_level(level, inherited)
    return level


def check_visible(s: Session, kind: ResourceKind, resource_id: str) -> None:
    """NotFoundError when the acting user may not see a resource a request names in its
    body (create methods call it; path parameters are checked by the server's policy)."""
    principal = acting_user.get()
    if principal is not None and permission_in(s, principal, kind, resource_id) is None:
        raise NotFoundError(f"{kind.value.replace('_', ' ')} {resource_id!r} does not exist")


def name_taken_by_others(s: Session, kind: ResourceKind, resource_ids: Iterable[str]) -> bool:
    """Whether any of the resources is one the acting user may not change."""
    principal = acting_user.get()
    if principal is None:
        return False
    return any(permission_in(s, principal, kind, r) is not ShareLevel.EDIT for r in resource_ids)


def _level(s: Session, user_id: str, kind: ResourceKind, resource_id: str) -> ShareLevel | None:
    row = s.get(ResourceAccessRow, (kind.value, resource_id))
    if row is not None and row.owner_id == user_id:
        return ShareLevel.EDIT
    share = s.get(ResourceShareRow, (kind.value, resource_id, user_id))
    level = ShareLevel(share.level) if share is not None else None
    if row is not None and row.visibility == Visibility.EVERYONE.value:
        level = _max_level(level, ShareLevel.READ)
    return level


def _max_level(a: ShareLevel | None, b: ShareLevel | None) -> ShareLevel | None:
    if ShareLevel.EDIT in (a, b):
        return ShareLevel.EDIT
    return a or b

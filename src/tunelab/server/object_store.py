"""Which object store a user may make the server read from or write to (imports, exports).

The administrator decides where the server connects: ``TUNELAB_OBJECT_STORE_OPTIONS``
(s3fs options such as ``endpoint_url``, ``client_kwargs``, ``anon``), or, when that is unset
and the artifacts live on S3, ``TUNELAB_ARTIFACTS_OPTIONS``; and optionally which buckets
(``TUNELAB_OBJECT_STORE_BUCKETS``). A request may add credentials (``key``, ``secret``,
``token``) and a ``region``; an ``endpoint_url`` only when the administrator lists it in
``TUNELAB_OBJECT_STORE_ENDPOINTS``. Any other option is refused with a 422 naming it, so a
user cannot point the server at an internal address. Credentials given in a request are
used for that request only: never stored, never logged. Missing credentials are named as
such (what is missing and where to set it); other failures read the same whether the store
refused, was closed or timed out, so errors do not map the network.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tunelab.server.errors import FieldError

if TYPE_CHECKING:
    from tunelab.server.config import ServerSettings

SCHEMES = ("s3://", "s3a://")
USER_OPTIONS = ("key", "secret", "token", "region", "endpoint_url")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def admin_options(settings: ServerSettings) -> dict[str, Any]:
    """The storage options the administrator configured for user imports and exports."""
    if settings.object_store_options:
        return dict(settings.object_store_options)
    if settings.artifacts_location.startswith(SCHEMES):
        return dict(settings.artifacts_options)
    return {}


def request_options(user: dict[str, Any] | None, settings: ServerSettings) -> dict[str, Any]:
    """The administrator's options plus the request's credentials; 422 for anything else."""
    given = {k: v for k, v in (user or {}).items() if v not in (None, "")}
    for name in sorted(given):
        if name not in USER_OPTIONS:
            raise FieldError(
                ["body", "storage_options", name],
                f"storage option {name!r} is not accepted: the server's administrator sets "
                f"where it connects; a request may give only {', '.join(USER_OPTIONS)}",
                "value_error",
            )
        if not isinstance(given[name], str):
            raise FieldError(
                ["body", "storage_options", name], f"{name!r} must be a string", "value_error"
            )
    options = admin_options(settings)
    endpoint = given.pop("endpoint_url", None)
    if endpoint is not None:
        allowed = [e.rstrip("/") for e in settings.object_store_endpoints]
        if endpoint.rstrip("/") not in allowed:
            raise FieldError(
                ["body", "storage_options", "endpoint_url"],
                f"storage option 'endpoint_url' {endpoint!r} is not an endpoint the server may "
                "connect to; its administrator "
                "lists the allowed ones in TUNELAB_OBJECT_STORE_ENDPOINTS",
                "value_error",
            )
        options["endpoint_url"] = endpoint
    region = given.pop("region", None)
    if region is not None:
        client = dict(options.get("client_kwargs") or {})
        client["region_name"] = region
        options["client_kwargs"] = client
    return {**options, **given}


def check_object_url(url: str, settings: ServerSettings, what: str) -> str:
    """``url`` when it is ``s3://bucket/...`` on an allowed bucket; 422 naming it otherwise."""
    clean = url.strip()
    rest = clean.split("://", 1)[1] if clean.startswith(SCHEMES) else ""
    bucket = rest.split("/", 1)[0]
    if not rest or "::" in clean or not _BUCKET.match(bucket) or ".." in bucket:
        raise FieldError(
            ["body", "url"], f"{url!r} is not an object URL; use s3://bucket/{what}", "value_error"
        )
    allowed = settings.object_store_buckets
    if allowed and bucket not in allowed:
        raise FieldError(
            ["body", "url"],
            f"bucket {bucket!r} is not one the server may use ({', '.join(allowed)})",
            "value_error",
        )
    return clean


def unreachable(url: str, action: str) -> FieldError:
    """The one error for every failure to reach or use the store (no network details)."""
    return FieldError(
        ["body", "url"],
        f"cannot {action} {url!r}: the object store refused the request or could not be "
        "reached (check the bucket, key and credentials)",
        "value_error",
    )


def no_credentials(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says no credentials were found."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ == "NoCredentialsError" or "locate credentials" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def missing_credentials(url: str) -> FieldError:
    """What is missing and where to set it, when the store was reached without credentials."""
    return FieldError(
        ["body", "storage_options"],
        f"no credentials to reach {url!r}: enter an access key and a secret key under "
        "Credentials (REST: storage_options key and secret), or ask the server's administrator "
        "to set them (TUNELAB_OBJECT_STORE_OPTIONS, or AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY in the server's environment)",
        "credentials_missing",
    )

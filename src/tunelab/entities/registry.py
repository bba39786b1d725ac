"""Records of the model registry: registered models, versions, aliases, traffic. No I/O."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tunelab.entities.errors import ConfigError

MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
ALIAS_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")


def check_model_name(name: str) -> str:
    """``name`` if it is a valid registered-model name (letters, digits, ``.``, ``_``, ``-``)."""
    if not isinstance(name, str) or not MODEL_NAME.match(name):
        raise ConfigError(
            f"registered model name {name!r} is not valid: use 1-128 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return name


def check_alias(alias: str) -> str:
    """``alias`` if it is a valid alias (lowercase letters, digits, ``-``, ``_``)."""
    if not isinstance(alias, str) or not ALIAS_NAME.match(alias) or alias.isdigit():
        raise ConfigError(
            f"alias {alias!r} is not valid: use 1-64 lowercase letters, digits, '-' or '_' "
            "(not only digits)"
        )
    return alias


@dataclass(frozen=True)
class ModelReference:
    """``name@alias`` or ``name/3`` (a registered model's version, directly or by alias)."""

    name: str
    alias: str | None = None
    version: int | None = None

    @classmethod
    def parse(cls, text: str) -> "ModelReference":
        if not isinstance(text, str):
            raise ConfigError(f"model reference {text!r} must be a string")
        if "@" in text:
            name, _, alias = text.partition("@")
            return cls(check_model_name(name), alias=check_alias(alias))
        name, slash, version = text.partition("/")
        if not slash or not version.isdigit() or int(version) < 1:
            raise ConfigError(
                f"model reference {text!r} is not valid: write NAME@ALIAS or NAME/VERSION "
                "(e.g. churn@champion or churn/3)"
            )
        return cls(check_model_name(name), version=int(version))

    def __str__(self) -> str:
        return f"{self.name}@{self.alias}" if self.alias else f"{self.name}/{self.version}"


@dataclass(frozen=True)
class ModelVersion:
    """One numbered version of a registered model, pointing at a model (bundle)."""

    name: str
    version: int
    model_id: str
    created_at: datetime
    task: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"


@dataclass(frozen=True)
class AliasEvent:
    """A move of an alias: set (``from_version`` None), moved, or deleted (``to_version`` None)."""

    id: int
    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str
    created_at: datetime


@dataclass(frozen=True)
class RegisteredModel:
    """A named model with numbered versions and movable aliases."""

    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    aliases: dict[str, int] = field(default_factory=dict)
    latest_version: int | None = None


@dataclass(frozen=True)
class Traffic:
    """How a deployment splits requests: weighted routes, shadow copies, sticky keys."""

    deployment_id: str
    routes: list[dict[str, Any]]  # [{"model": "name@champion", "weight": 90}, ...]
    shadow: list[str]
    sticky: bool
    updated_at: datetime

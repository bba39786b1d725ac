"""Secrets: argon2 password hashes, API tokens and session ids stored as sha256 digests."""

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX_LENGTH = 8  # what ``tokens list`` shows and ``tokens revoke`` takes
_TOKEN_MARK = "tl_"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _hasher.hash(password)  # same cost whether or not the user exists
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def digest(secret: str) -> str:
    """sha256 hex of a token, session id or login-link secret (what the database keeps)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_token() -> tuple[str, str, str]:
    """``(token, prefix, digest)``: the token is shown once; its first 8 characters name it."""
    token = _TOKEN_MARK + secrets.token_urlsafe(32)
    return token, token[:TOKEN_PREFIX_LENGTH], digest(token)

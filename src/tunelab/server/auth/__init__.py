"""Users, sessions, API tokens and the authorization policy of the server (docs/auth.md)."""

from tunelab.server.auth.middleware import SESSION_COOKIE, AuthMiddleware, route_entries
from tunelab.server.auth.policy import RULES, Need, Rule, rule_for, unmapped_params

__all__ = [
    "RULES",
    "SESSION_COOKIE",
    "AuthMiddleware",
    "Need",
    "Rule",
    "route_entries",
    "rule_for",
    "unmapped_params",
]

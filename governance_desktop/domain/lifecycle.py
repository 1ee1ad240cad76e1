"""The policy lifecycle: which status moves are allowed, for people and workflows alike."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.errors import LifecycleError

_S = PolicyStatus

_FORWARD_AND_BACK: dict[PolicyStatus, set[PolicyStatus]] = {
    _S.DRAFT: {_S.IN_REVIEW},
    _S.IN_REVIEW: {_S.AWAITING_APPROVAL, _S.DRAFT},
    _S.AWAITING_APPROVAL: {_S.APPROVED, _S.DRAFT},
    _S.APPROVED: {_S.PUBLISHED, _S.DRAFT},
    _S.PUBLISHED: {_S.IN_REVIEW},
    _S.RETIRED: set(),
}

#: Every allowed move: the table above, plus any state except retired → retired.
ALLOWED_MOVES: Mapping[PolicyStatus, frozenset[PolicyStatus]] = MappingProxyType(
    {
        status: frozenset(targets | ({_S.RETIRED} if status is not _S.RETIRED else set()))
        for status, targets in _FORWARD_AND_BACK.items()
    }
)


def allowed_moves(status: PolicyStatus) -> list[PolicyStatus]:
    """The statuses reachable from ``status`` in one move, in lifecycle order."""
    targets = ALLOWED_MOVES[status]
    return [s for s in PolicyStatus if s in targets]


#: Reached only when an approval rule is met (docs/authority.md), never by a person's move.
RULE_ONLY: frozenset[PolicyStatus] = frozenset({_S.APPROVED})


def person_moves(status: PolicyStatus) -> list[PolicyStatus]:
    """The moves a person may ask for from ``status``: the allowed ones but approved."""
    return [s for s in allowed_moves(status) if s not in RULE_ONLY]


def is_allowed(old: PolicyStatus, new: PolicyStatus) -> bool:
    """True if a policy may move from ``old`` to ``new``."""
    return new in ALLOWED_MOVES[old]


def check_move(code: str, old: PolicyStatus, new: PolicyStatus) -> None:
    """Raise ``LifecycleError`` unless policy ``code`` may move from ``old`` to ``new``."""
    if is_allowed(old, new):
        return
    allowed = ", ".join(allowed_moves(old)) or "none"
    raise LifecycleError(f"{code}: cannot move from {old} to {new} (allowed: {allowed})")

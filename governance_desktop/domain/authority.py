"""Who may do what: the permission matrix of docs/authority.md, one entry per kind of act.

Services check a person's act against it; a workflow's own steps act with the authority of
the workflow an admin published, so they are checked by the lifecycle's guards, not by role.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from governance_desktop.domain.enums import Role


class Permission(StrEnum):
    """One kind of act; the value is how a refusal names it."""

    READ = "read the register"
    AUTHOR_POLICIES = "add and edit policies"
    MOVE_POLICIES = "move policies in their lifecycle"
    RUN_WORKFLOWS = "start workflows by hand"
    ANSWER_OWN_TASKS = "complete their own tasks"
    ANSWER_APPROVALS = "answer approvals addressed to them"
    DELEGATE_APPROVALS = "delegate their approvals"
    ANSWER_ON_BEHALF = "answer for a named approver (with a reason)"
    CANCEL_OWN_EXECUTIONS = "cancel executions they started"
    MANAGE_EXECUTIONS = "cancel any execution and skip a failed step"
    CONTROL_JOBS = "retry and cancel jobs"
    MANAGE_USERS = "add users, change roles, reset passwords, unlock and deactivate users"
    MANAGE_WORKFLOWS = "import, edit, enable and disable workflows"
    RESTORE = "restore a backup"
    SETTINGS = "back up, load demo data and change settings"
    VERIFY_AUDIT = "verify the audit trail"
    EXPORT = "export the register and the audit trail"


_P = Permission
_EVERYONE = frozenset({_P.READ, _P.VERIFY_AUDIT})

#: Role → the acts it may do. Admin may do every act.
MATRIX: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.OFFICER: _EVERYONE
        | {
            _P.AUTHOR_POLICIES,
            _P.MOVE_POLICIES,
            _P.RUN_WORKFLOWS,
            _P.ANSWER_OWN_TASKS,
            _P.CANCEL_OWN_EXECUTIONS,
            _P.CONTROL_JOBS,
            _P.EXPORT,
        },
        Role.APPROVER: _EVERYONE
        | {_P.ANSWER_APPROVALS, _P.DELEGATE_APPROVALS, _P.ANSWER_OWN_TASKS},
        Role.ADMIN: frozenset(Permission),
        Role.AUDITOR: _EVERYONE | {_P.EXPORT},
    }
)


def allows(role: Role | str, permission: Permission) -> bool:
    """True if ``role`` may do ``permission``; an unknown role may do nothing."""
    try:
        return permission in MATRIX[Role(role)]
    except ValueError:
        return False


def roles_allowed(permission: Permission) -> list[Role]:
    """The roles that may do ``permission``, in the order of ``Role``."""
    return [role for role in Role if permission in MATRIX[role]]


def refusal(actor: str, role: Role | str, permission: Permission) -> str:
    """The one line a refused act gets: who, their role, what the act needs (rule: role)."""
    allowed = " or ".join(roles_allowed(permission))
    return f"'{actor}' is {role}; only {allowed} may {permission.value} (rule: role)"

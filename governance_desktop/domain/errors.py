"""Errors a person can act on. Their text is shown as is: one line, naming the value at fault."""


class GovernanceError(Exception):
    """Base of every expected, user-facing error, from any layer (a bad setting, a busy or
    damaged data folder, input that breaks a rule): the CLI prints its one line and exits 1,
    the window shows that line."""


class NotFoundError(GovernanceError):
    """A code, name, id or username that does not exist."""


class ValidationError(GovernanceError):
    """Input that breaks a rule; `path` names where (e.g. ``actions[2].type``)."""

    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class LifecycleError(GovernanceError):
    """A policy status move that the lifecycle does not allow."""


class PermissionDeniedError(GovernanceError):
    """The actor may not do this (role, segregation of duties)."""


class ConflictError(GovernanceError):
    """The thing already exists or changed under us."""


class TransientError(Exception):
    """A failure worth retrying later (a busy database, an unreachable outside service)."""


class AuthenticationError(PermissionDeniedError):
    """A password missing, wrong, expired for signing, or a locked account (rule: identity,
    signature or lockout)."""

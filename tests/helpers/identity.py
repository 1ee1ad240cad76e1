"""Passwords and signers for tests about something else, made the real way.

Every test user gets PASSWORD (set as their own first password, or changed from an initial
one), and `signer` re-authenticates them exactly as the CLI and the window do. How identity
itself behaves is tested in tests/services/test_identity.py and its neighbours.
"""

from __future__ import annotations

from pathlib import Path

from governance_desktop.app import AppContext
from governance_desktop.services.identity import Signer
from tests.helpers.actors import ME

PASSWORD = "Test-Passw0rd!"
#: The initial password tests give the users they add (to be changed at first use).
INITIAL = "Initial-Passw0rd!"


def credential(ctx: AppContext, username: str) -> None:
    """Give ``username`` PASSWORD unless they have it already."""
    identity = ctx.identity
    if not identity.has_password(username):
        identity.change_own(username, None, PASSWORD)
    elif identity.must_change(username):
        if not _initial_is(ctx, username, INITIAL):  # a generated one (`users add`, demo)
            identity.reset(ME, username, INITIAL, admin=signer(ctx, ME))  # as an admin does
        identity.change_own(username, INITIAL, PASSWORD)


def _initial_is(ctx: AppContext, username: str, password: str) -> bool:
    """Whether ``username``'s stored hash is of ``password`` (read directly: no sign-in, so
    no failed attempt is counted)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError
    from sqlalchemy import select

    from governance_desktop.store.models import User

    with ctx.db.reading() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == username))
    try:
        return stored is not None and PasswordHasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def signer(ctx: AppContext, username: str) -> Signer:
    """``username`` re-authenticated with PASSWORD for one signed act."""
    credential(ctx, username)
    return ctx.identity.signer(username, PASSWORD)


def credential_in(data_dir: Path, username: str) -> bool:
    """`credential` in the register at ``data_dir``; False if there is no such user yet (or
    they cannot sign in: deactivated, locked)."""
    from governance_desktop.app import open_app
    from governance_desktop.config import load_settings
    from governance_desktop.domain.errors import AuthenticationError, NotFoundError

    context = open_app(load_settings(data_dir=data_dir))
    try:
        credential(context, username)
        return True
    except NotFoundError:
        return False
    except AuthenticationError:  # deactivated or locked: the CLI will say so itself
        return False
    finally:
        context.close()

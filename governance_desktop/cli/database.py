"""`setup-database`: the PostgreSQL roles of team mode (docs/team-mode.md, section 2).

Role passwords come from GOVERNANCE_OWNER_PASSWORD / GOVERNANCE_APP_PASSWORD, else from
`--password-stdin` (owner's line, then the app's), else a prompt asked twice; never from the
command line, and never printed or logged.
"""

from __future__ import annotations

import argparse
import os

from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.identity import passwords
from governance_desktop.cli.output import say
from governance_desktop.config import Settings
from governance_desktop.domain.errors import ValidationError
from governance_desktop.store.roles import DEFAULT_APP, DEFAULT_OWNER, setup_database

COMMANDS = Group()

OWNER_PASSWORD_ENV = "GOVERNANCE_OWNER_PASSWORD"
APP_PASSWORD_ENV = "GOVERNANCE_APP_PASSWORD"


def _password(args: argparse.Namespace, role: str, env: str) -> str:
    """`role`'s password: from `env`, else stdin or a prompt (asked twice on a terminal)."""
    found = os.environ.get(env)
    if found:
        return found
    why = f"setting up role {role}"
    asker = passwords(args)
    first = asker.read(f"Password for database role {role}: ", why, f"needs a password (${env})")
    if not args.password_stdin and asker.read("The same password again: ", why) != first:
        raise ValidationError(f"the two passwords for {role} differ; nothing was set", env)
    return first


@COMMANDS.command(
    "setup-database",
    "make the team database's owner and app roles, migrate it as the owner, and grant the "
    "app role SELECT and INSERT only on the audit trail (safe to repeat)",
    arg(
        "admin_url",
        metavar="ADMIN_URL",
        help="a superuser's URL of the (existing) database, e.g. "
        "postgresql://postgres@db.example/governance; its password from PGPASSWORD or ~/.pgpass",
    ),
    arg("--owner-role", default=DEFAULT_OWNER, help=f"the schema owner (default {DEFAULT_OWNER})"),
    arg("--app-role", default=DEFAULT_APP, help=f"the app's login (default {DEFAULT_APP})"),
    needs=Needs.SETTINGS,
)
def setup(settings: Settings, args: argparse.Namespace) -> int:
    owner_password = _password(args, args.owner_role, OWNER_PASSWORD_ENV)
    app_password = _password(args, args.app_role, APP_PASSWORD_ENV)
    done = setup_database(
        args.admin_url,
        owner_password,
        app_password,
        settings.data_dir / "backups",
        owner=args.owner_role,
        app=args.app_role,
        backup=settings.migration_backup,
    )
    made = f"created roles {', '.join(done.created)}" if done.created else "roles existed"
    mig = done.migration
    migrated = (
        f"migrated from schema revision {mig.from_revision or '(empty)'} to {mig.to_revision}"
        if mig.from_revision != mig.to_revision
        else f"schema already at revision {mig.to_revision}"
    )
    backup = f"; backup {mig.backup}" if mig.backup else ""
    say(
        f"database {done.database}: {made}; {migrated} as {done.owner}{backup}; "
        f"{done.app} may SELECT and INSERT on audit_events only (UPDATE, DELETE, TRUNCATE "
        "revoked) and use every other table"
    )
    say(
        f"point the app at it: GOVERNANCE_DATABASE_URL={done.app_url} "
        f"(the password of {done.app} in PGPASSWORD or ~/.pgpass)"
    )
    return 0

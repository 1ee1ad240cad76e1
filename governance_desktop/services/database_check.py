"""`check` on a PostgreSQL database: what it checks there instead of SQLite's
`integrity_check`, each item named in the report.

Checked: the schema revision is the app's; every table's row count can be read; the whole
audit chain re-hashed with every signature (`audit verify`, full walk); the append-only
trigger on `audit_events` is present and enabled; and which rights the login the app runs as
holds on `audit_events` (any of UPDATE, DELETE, TRUNCATE is a warning: run `setup-database`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text

from governance_desktop.services.audit_verify import check_trail
from governance_desktop.store.db import Database
from governance_desktop.store.migrate import HEAD_REVISION, current_revision
from governance_desktop.store.models import Base

#: Migration 0006's trigger, and the operations it refuses.
AUDIT_TRIGGER = "audit_events_append_only"
#: Rights the app's login must not hold on the audit trail.
FORBIDDEN = ("UPDATE", "DELETE", "TRUNCATE")


@dataclass(frozen=True)
class DatabaseCheck:
    """The report: ``checked`` names each check run, ``problems`` the failures (exit 1),
    ``warnings`` what is allowed but unsafe."""

    server: str
    revision: str | None
    rows: dict[str, int]
    audit_events: int
    audit_head: str
    signatures: int
    trigger: str
    role: str
    audit_rights: tuple[str, ...]
    checked: tuple[str, ...]
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def check_postgresql(db: Database) -> DatabaseCheck:
    """Run every check on ``db`` (a PostgreSQL database) and say what each found."""
    problems: list[str] = []
    warnings: list[str] = []
    revision = current_revision(db)
    if revision != HEAD_REVISION:
        problems.append(f"schema revision {revision}, not the app's {HEAD_REVISION}")
    tables = sorted(Base.metadata.tables)
    with db.engine.connect() as conn:
        server = str(conn.execute(text("SHOW server_version")).scalar())
        rows = {
            name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() or 0)
            for name in tables
        }
        trigger = conn.execute(
            text(
                "SELECT tgenabled FROM pg_trigger WHERE tgname = :name "
                "AND tgrelid = 'audit_events'::regclass AND NOT tgisinternal"
            ),
            {"name": AUDIT_TRIGGER},
        ).scalar()
        role = str(conn.execute(text("SELECT current_user")).scalar())
        rights = tuple(
            right
            for right in ("SELECT", "INSERT", *FORBIDDEN)
            if conn.execute(
                text("SELECT has_table_privilege(current_user, 'audit_events', :right)"),
                {"right": right},
            ).scalar()
        )
    if trigger is None:
        problems.append(f"the trigger {AUDIT_TRIGGER} on audit_events is missing")
        trigger_state = "missing"
    elif trigger == "D":
        problems.append(f"the trigger {AUDIT_TRIGGER} on audit_events is disabled")
        trigger_state = "disabled"
    else:
        trigger_state = "enabled"
    broad = [r for r in FORBIDDEN if r in rights]
    if broad:
        warnings.append(
            f"the app logs in as {role}, which may {', '.join(broad)} audit_events; "
            "give it a role of its own with `setup-database`"
        )
    trail = check_trail(db)
    if not trail.chain.ok:
        at = f" at event {trail.chain.first_bad_id}" if trail.chain.first_bad_id else ""
        problems.append(f"audit trail broken{at}: {trail.chain.problem}")
    problems.extend(trail.problems)
    checked = (
        f"schema revision {revision}",
        f"row counts of {len(tables)} tables",
        f"audit chain re-hashed: {trail.chain.events} events, {trail.signatures} signatures",
        f"trigger {AUDIT_TRIGGER}: {trigger_state}",
        f"rights of {role} on audit_events: {', '.join(rights) or 'none'}",
    )
    return DatabaseCheck(
        server=server,
        revision=revision,
        rows=rows,
        audit_events=trail.chain.events,
        audit_head=trail.chain.head_hash,
        signatures=trail.signatures,
        trigger=trigger_state,
        role=role,
        audit_rights=rights,
        checked=checked,
        problems=tuple(problems),
        warnings=tuple(warnings),
    )

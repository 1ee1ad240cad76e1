"""Generation counters: a number every write of a kind moves by one in its own transaction, so a
cache of what those writes change is checked with one primary-key read.

``WORKFLOWS`` counts writes to the workflows table (import, new version, enable, disable);
``USERS`` counts role changes and deactivations (a new user needs no bump: nothing kept
says a name is unknown).
Any code that writes a workflow row calls `bump` in the same transaction; a whole-file change
(restore) starts every process over with new caches instead.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from governance_desktop.store.models import Generation

WORKFLOWS = "workflows"
#: Counts changes to who may act: a role changed, a user deactivated.
USERS = "users"

_generations = cast(Table, Generation.__table__)
_READ = select(_generations.c.value).where(_generations.c.name == bindparam("p_name"))
_BUMP = (
    update(_generations)
    .where(_generations.c.name == bindparam("p_name"))
    .values(value=_generations.c.value + 1)
)
_INSERT = insert(_generations)
# session.info key of this transaction's reads: {name: (transaction, value or None)}.
_SEEN = "generations"


def read(session: Session, name: str) -> int | None:
    """The counter as this transaction sees it, read once per transaction (no other writer
    can move it under our snapshot, and our own `bump` forgets the read); None once this
    transaction has bumped it: its writes are not committed, so nothing built from them may
    be kept beyond it."""
    conn = session.connection()  # begins the transaction if none has
    transaction = session.get_transaction()
    seen: dict[str, tuple[object, int | None]] = session.info.setdefault(_SEEN, {})
    kept = seen.get(name)
    if kept is not None and kept[0] is transaction:
        return kept[1]
    value = conn.execute(_READ, {"p_name": name}).scalar()
    found = 0 if value is None else int(value)
    seen[name] = (transaction, found)
    return found


def bump(session: Session, name: str) -> None:
    """Move the counter by one in this transaction (the row is made if a database lacks it)."""
    conn = session.connection()
    if not conn.execute(_BUMP, {"p_name": name}).rowcount:
        conn.execute(_INSERT, {"name": name, "value": 1})
    session.info.setdefault(_SEEN, {})[name] = (session.get_transaction(), None)

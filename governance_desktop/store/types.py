"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without a zone; always hands back an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


#: The database server's clock minus this machine's: 0 for a SQLite file (it is on this
#: machine); measured by `Database.server_now` on PostgreSQL (at open, then on every lease
#: heartbeat and reconcile).
_clock_offset = timedelta(0)


def local_now() -> datetime:
    """This machine's clock."""
    return datetime.now(UTC)


def utcnow() -> datetime:
    """Now, on the database server's clock: this machine's corrected by the offset measured
    from the server, so rows stamped on workstations and workers whose clocks differ still
    sort and compare right (leases, the job monitor's watermark)."""
    return local_now() + _clock_offset


def set_clock_offset(offset: timedelta) -> None:
    global _clock_offset
    _clock_offset = offset

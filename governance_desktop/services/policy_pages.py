"""The policies page's reads: the register counted, paged and sorted in SQL, under a filter.

A `PolicyFilter` (text over code, title and owner; a status; reviews due or overdue) becomes
SQL conditions; `PolicyPages` answers the lazy table (`ui/sorted_model.py`) with
`services/sorted_pages.py`. Rows are `PolicyInfo` without the body (a register's bodies can
total gigabytes; the editor reads the one it shows).

Review dates are local calendar dates (docs/dates-and-times.md): overdue means the user's
today is after the next review date; due means within the next `DUE_DAYS` days, not overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.domain.errors import ValidationError
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.services.policies import LISTED
from governance_desktop.services.search import contains, search_text
from governance_desktop.services.sorted_pages import PAGE_SIZE, Sort, SortedPages
from governance_desktop.store.db import Database
from governance_desktop.store.models import Policy

DUE_DAYS = 30
REVIEWS = ("due", "overdue")

#: The sort names the page may ask for.
SORTABLE: dict[str, Any] = {
    "code": Policy.code,
    "title": Policy.title,
    "status": Policy.status,
    "owner": Policy.owner,
    "assignee": Policy.assignee,
    "next_review": Policy.next_review_date,
    "updated": Policy.updated_at,
}


def _row(values: Any) -> PolicyInfo:
    fields = {column.key: value for column, value in zip(LISTED, values, strict=True)}
    return PolicyInfo(**fields, body=None)


@dataclass(frozen=True)
class PolicyFilter:
    """Text (code, title or owner hold it), a status (None: all), a review view
    (``due``, ``overdue`` or None)."""

    text: str = ""
    status: str | None = None
    review: str | None = None

    def conditions(self, now: datetime | None = None) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.status:
            where.append(Policy.status == self.status)
        if self.review:
            if self.review not in REVIEWS:
                raise ValidationError(f"{self.review[:20]!r} is not due or overdue", "review")
            today = local_date(now or utc_now())
            if self.review == "overdue":
                where.append(Policy.next_review_date < today)
            else:
                where.append(Policy.next_review_date >= today)
                where.append(Policy.next_review_date <= today + timedelta(days=DUE_DAYS))
        text = search_text(self.text)
        if text:
            where.append(
                or_(
                    contains(Policy.code, text),
                    contains(Policy.title, text),
                    contains(Policy.owner, text),
                )
            )
        return where


class PolicyPages:
    """count / page / position of the register under a `PolicyFilter` (read-only)."""

    def __init__(self, db: Database) -> None:
        self._pages: SortedPages[PolicyInfo] = SortedPages(
            db,
            select(*LISTED),
            id_column=Policy.id,
            key_column=Policy.code,
            sortable=SORTABLE,
            make_row=_row,
        )

    def count(self, filter: PolicyFilter) -> int:
        return self._pages.count(filter.conditions())

    def page(
        self,
        filter: PolicyFilter,
        sort: Sort,
        offset: int,
        limit: int = PAGE_SIZE,
        total: int | None = None,
    ) -> list[PolicyInfo]:
        return self._pages.page(filter.conditions(), sort, offset, limit, total)

    def position(self, filter: PolicyFilter, sort: Sort, code: object) -> int | None:
        return self._pages.position(filter.conditions(), sort, code)

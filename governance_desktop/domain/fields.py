"""Field names a workflow may refer to: policy fields and trigger data."""

from __future__ import annotations

#: Policy fields an ``on_update`` trigger may list.
POLICY_FIELDS: tuple[str, ...] = (
    "code",
    "title",
    "body",
    "status",
    "owner",
    "assignee",
    "review_interval_days",
    "next_review_date",
    "version",
    "created_by",
    "updated_by",
)

#: Fields a condition may test: the policy fields plus the trigger's ``old_status``.
CONDITION_FIELDS: tuple[str, ...] = (
    "code",
    "title",
    "body",
    "status",
    "old_status",
    "owner",
    "assignee",
    "review_interval_days",
    "next_review_date",
    "version",
    "created_by",
    "updated_by",
)

#: Condition fields whose values are policy status names.
STATUS_FIELDS: frozenset[str] = frozenset({"status", "old_status"})

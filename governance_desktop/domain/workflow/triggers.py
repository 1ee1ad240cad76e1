"""Workflow triggers: what makes a workflow run."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, WrapValidator

from governance_desktop.domain._common import (
    bad_status_message,
    enum_validator,
    fail,
    one_of,
    short_repr,
)
from governance_desktop.domain.cron import parse_cron
from governance_desktop.domain.enums import PolicyStatus, TriggerType
from governance_desktop.domain.fields import POLICY_FIELDS

StatusValue = Annotated[PolicyStatus, WrapValidator(enum_validator(bad_status_message))]


def _policy_field(name: str) -> str:
    if name not in POLICY_FIELDS:
        raise fail(f"unknown field {short_repr(name)} (allowed: {one_of(POLICY_FIELDS)})")
    return name


def _cron(expr: str) -> str:
    try:
        parse_cron(expr)
    except ValueError as exc:
        raise fail(f"invalid cron expression: {exc}") from None
    return expr


class _Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OnCreateTrigger(_Trigger):
    """Runs when a policy is created."""

    type: Literal[TriggerType.ON_CREATE] = TriggerType.ON_CREATE


class OnUpdateTrigger(_Trigger):
    """Runs when a policy is edited; only for changes to ``fields`` if given."""

    type: Literal[TriggerType.ON_UPDATE] = TriggerType.ON_UPDATE
    fields: list[Annotated[StrictStr, AfterValidator(_policy_field)]] | None = Field(
        default=None, min_length=1
    )


class OnStatusChangeTrigger(_Trigger):
    """Runs when a policy's status changes (optionally only from/to given statuses)."""

    type: Literal[TriggerType.ON_STATUS_CHANGE] = TriggerType.ON_STATUS_CHANGE
    from_status: StatusValue | None = None
    to_status: StatusValue | None = None


class OnScheduleTrigger(_Trigger):
    """Runs on a 5-field cron schedule (UTC), for each policy that meets the conditions."""

    type: Literal[TriggerType.ON_SCHEDULE] = TriggerType.ON_SCHEDULE
    cron: Annotated[StrictStr, AfterValidator(_cron)]


class ManualTrigger(_Trigger):
    """Runs only when a person starts it for a policy."""

    type: Literal[TriggerType.MANUAL] = TriggerType.MANUAL


Trigger: TypeAlias = Annotated[
    OnCreateTrigger | OnUpdateTrigger | OnStatusChangeTrigger | OnScheduleTrigger | ManualTrigger,
    Field(discriminator="type"),
]

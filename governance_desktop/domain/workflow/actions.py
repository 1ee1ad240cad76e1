"""Workflow actions: the steps a workflow performs, in order, and approval rules."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    Tag,
    ValidationInfo,
    field_validator,
)

from governance_desktop.domain._common import fail, short_repr
from governance_desktop.domain.enums import ActionType
from governance_desktop.domain.workflow.placeholders import check_template
from governance_desktop.domain.workflow.triggers import StatusValue

USERNAME_PATTERN = r"^[A-Za-z0-9._@-]+$"

Username = Annotated[
    StrictStr, StringConstraints(min_length=1, max_length=64, pattern=USERNAME_PATTERN)
]
DueInDays = Annotated[StrictInt, Field(ge=0, le=3650)]


def _template(text: str) -> str:
    try:
        check_template(text)
    except ValueError as exc:
        raise fail(str(exc)) from None
    return text


Text = Annotated[StrictStr, Field(max_length=2000), AfterValidator(_template)]
LongText = Annotated[StrictStr, Field(max_length=10000), AfterValidator(_template)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AtLeastRule(_Model):
    """Approved once ``at_least`` approvers have approved."""

    at_least: Annotated[StrictInt, Field(ge=1)]


RULE_SHAPE = 'rule must be "all", "any" or {"at_least": N}'


def _rule_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "word"
    if isinstance(value, dict | AtLeastRule):
        return "at-least-rule"  # not a key name: tags show up in error locations
    return None


Rule: TypeAlias = Annotated[
    Annotated[Literal["all", "any"], Tag("word")] | Annotated[AtLeastRule, Tag("at-least-rule")],
    Discriminator(_rule_tag, custom_error_type="rule_shape", custom_error_message=RULE_SHAPE),
]


def required_approvals(rule: Rule, n_approvers: int) -> int:
    """How many approvals ``rule`` needs out of ``n_approvers``."""
    if isinstance(rule, AtLeastRule):
        return rule.at_least
    return n_approvers if rule == "all" else 1


class SetStatusAction(_Model):
    """Move the policy to ``status`` (the lifecycle still applies)."""

    type: Literal[ActionType.SET_STATUS] = ActionType.SET_STATUS
    status: StatusValue


class NotifyAction(_Model):
    """Send a notification to each of ``users``."""

    type: Literal[ActionType.NOTIFY] = ActionType.NOTIFY
    users: list[Username] = Field(min_length=1, max_length=100)
    title: Text
    body: LongText = ""


class AssignAction(_Model):
    """Make ``user`` the policy's assignee."""

    type: Literal[ActionType.ASSIGN] = ActionType.ASSIGN
    user: Username


class CreateTaskAction(_Model):
    """Create a task for ``assignee`` (the policy's owner if None)."""

    type: Literal[ActionType.CREATE_TASK] = ActionType.CREATE_TASK
    title: Text
    description: LongText = ""
    assignee: Username | None = None
    due_in_days: DueInDays | None = None


class ApprovalAction(_Model):
    """Ask ``approvers`` to approve; the execution waits until ``rule`` is met or one rejects.

    ``any_approver: true`` asks every active user with the role approver instead (those whom
    segregation of duties keeps out are left out); ``approvers`` may then be empty."""

    type: Literal[ActionType.APPROVAL] = ActionType.APPROVAL
    # Declared before ``approvers`` so that its check sees it; None (the default) is left out
    # of stored definitions, so existing workflows keep their stored form.
    any_approver: StrictBool | None = None
    approvers: list[Username] = Field(default_factory=list, max_length=50, validate_default=True)
    rule: Rule = "all"
    due_in_days: DueInDays | None = None
    title: Text = ""
    # Past the due date the approver is reminded; this many days later the request
    # escalates to ``escalate_to`` (the admins if None). None: no escalation.
    escalate_after_days: DueInDays | None = None
    escalate_to: Username | None = None

    @field_validator("approvers")
    @classmethod
    def _unique(cls, approvers: list[str], info: ValidationInfo) -> list[str]:
        if not approvers and not info.data.get("any_approver"):
            raise fail("needs at least 1 item (an approver), or any_approver: true")
        seen: set[str] = set()
        for name in approvers:
            if name in seen:
                raise fail(f"approver {short_repr(name)} is listed twice")
            seen.add(name)
        return approvers

    @field_validator("rule")
    @classmethod
    def _reachable(cls, rule: Rule, info: ValidationInfo) -> Rule:
        approvers = info.data.get("approvers")
        if info.data.get("any_approver"):
            return rule  # how many approvers there are is known when the request is made
        if (
            isinstance(rule, AtLeastRule)
            and isinstance(approvers, list)
            and rule.at_least > len(approvers)
        ):
            raise fail(
                f"at_least {short_repr(rule.at_least)} is more than the {len(approvers)} approvers"
            )
        return rule

    def required(self) -> int:
        """How many approvals this step needs."""
        return required_approvals(self.rule, len(self.approvers))


Action: TypeAlias = Annotated[
    SetStatusAction | NotifyAction | AssignAction | CreateTaskAction | ApprovalAction,
    Field(discriminator="type"),
]

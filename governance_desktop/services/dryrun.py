"""Dry run: what a workflow would do for one policy, computed from reads only.

Conditions are explained with the domain evaluator; each action is rendered with the
policy's values as they would be at that step (an earlier set_status or assign changes
them), and a status move is checked against the lifecycle. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.lifecycle import allowed_moves, is_allowed
from governance_desktop.domain.workflow.actions import AtLeastRule
from governance_desktop.domain.workflow.conditions import explain
from governance_desktop.domain.workflow.definition import (
    ApprovalAction,
    AssignAction,
    CreateTaskAction,
    NotifyAction,
    OnStatusChangeTrigger,
    SetStatusAction,
    WorkflowDefinition,
)
from governance_desktop.domain.workflow.placeholders import render
from governance_desktop.services.dryrun_scope import DryRunScope, MatchCount, PolicyChoice
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.services.policies import PolicyService
from governance_desktop.services.users import UserDirectory


@dataclass(frozen=True)
class ConditionCheck:
    """One group or leaf of the conditions and whether it passes for the policy."""

    path: str
    description: str
    passed: bool
    depth: int


@dataclass(frozen=True)
class ActionPreview:
    """What one step would do. ``ok`` is False when it would fail (``problem`` says why)."""

    step: int
    action_type: str
    summary: str
    detail: str
    recipients: tuple[str, ...]
    ok: bool
    problem: str | None = None
    reached: bool = True
    #: False when the conditions do not pass: no step would run at all.
    would_run: bool = True


@dataclass(frozen=True)
class DryRunReport:
    workflow: str
    policy: str
    assumption: str
    conditions_pass: bool
    conditions: tuple[ConditionCheck, ...]
    actions: tuple[ActionPreview, ...]

    @property
    def would_run(self) -> bool:
        return self.conditions_pass

    @property
    def summary(self) -> str:
        if not self.conditions_pass:
            return f"{self.policy} does not meet the conditions: the workflow would not run."
        failing = next((a for a in self.actions if not a.ok), None)
        if failing is not None:
            return (
                f"{self.policy} meets the conditions, but step {failing.step} would fail: "
                f"{failing.problem}"
            )
        n = len(self.actions)
        return f"{self.policy} meets the conditions: {n} step{'s' if n != 1 else ''} would run."


def facts_of(policy: PolicyInfo) -> dict[str, Any]:
    """The same fields conditions and placeholders read at run time."""
    return {
        "code": policy.code,
        "title": policy.title,
        "body": policy.body,
        "status": policy.status,
        "owner": policy.owner,
        "assignee": policy.assignee,
        "review_interval_days": policy.review_interval_days,
        "next_review_date": policy.next_review_date,
        "version": policy.version,
        "created_by": policy.created_by,
        "updated_by": policy.updated_by,
    }


def _depth(path: str) -> int:
    return path.count("[") + path.count(".not")


def rule_text(action: ApprovalAction) -> str:
    """``all 2 must approve`` / ``any one of 2`` / ``at least 2 of 3``."""
    n = len(action.approvers)
    of = "the eligible approvers" if action.any_approver else str(n)
    if isinstance(action.rule, AtLeastRule):
        return f"at least {action.rule.at_least} of {of} must approve"
    if action.rule == "any":
        return f"any one of {of} may approve"
    if action.any_approver:
        return f"all of {of} must approve"
    return f"all {n} must approve" if n > 1 else "must approve"


def _who(users: list[str] | tuple[str, ...]) -> str:
    return ", ".join(users)


def _unknown(users: list[str], known: set[str]) -> str | None:
    missing = [u for u in users if u not in known]
    return f"unknown user '{missing[0]}'" if missing else None


def dry_run(
    defn: WorkflowDefinition,
    policy: PolicyInfo,
    known_users: set[str],
    today: dt.date | None = None,
) -> DryRunReport:
    """Explain ``defn`` for ``policy``; pure (no database)."""
    today = today or local_date(utc_now())  # due dates: docs/dates-and-times.md
    facts: dict[str, Any] = facts_of(policy)
    facts["old_status"] = None
    assumption = f"{policy.code} as it is now ({policy.status})."
    trigger = defn.trigger
    if isinstance(trigger, OnStatusChangeTrigger) and trigger.to_status is not None:
        old = trigger.from_status or PolicyStatus(policy.status)
        if trigger.to_status != policy.status or trigger.from_status is not None:
            facts["old_status"] = old.value
            facts["status"] = trigger.to_status.value
            assumption = (
                f"as if {policy.code} had just moved from {old} to {trigger.to_status} "
                f"(it is {policy.status} now)."
            )
    traces = explain(defn.conditions, facts)
    checks = tuple(ConditionCheck(t.path, t.description, t.passed, _depth(t.path)) for t in traces)
    if not checks:
        checks = (ConditionCheck("conditions", "no conditions: every policy", True, 0),)
    passed = traces[0].passed if traces else True  # the first trace is the root
    actions = _preview_actions(defn, facts, known_users, today)
    if not passed:
        actions = [
            replace(a, reached=False, would_run=False, detail="would not run: the conditions fail")
            for a in actions
        ]
    return DryRunReport(defn.name, policy.code, assumption, passed, checks, tuple(actions))


def _preview_actions(
    defn: WorkflowDefinition, facts: dict[str, Any], known: set[str], today: dt.date
) -> list[ActionPreview]:
    out: list[ActionPreview] = []
    stopped = False
    for step, action in enumerate(defn.actions, start=1):
        preview = _preview(action, facts, known, today, step)
        if stopped:
            preview = ActionPreview(
                step,
                preview.action_type,
                preview.summary,
                "not reached: an earlier step would fail",
                preview.recipients,
                preview.ok,
                preview.problem,
                reached=False,
            )
        out.append(preview)
        stopped = stopped or not preview.ok
    return out


def _preview(
    action: Any, facts: dict[str, Any], known: set[str], today: dt.date, step: int
) -> ActionPreview:
    values: Mapping[str, object] = facts
    kind = str(action.type)
    problem: str | None
    if isinstance(action, SetStatusAction):
        old = PolicyStatus(str(facts["status"]))
        new = action.status
        summary = f"Move {facts['code']} from {old} to {new}"
        if is_allowed(old, new):
            facts["old_status"], facts["status"] = old.value, new.value
            return ActionPreview(step, kind, summary, "the lifecycle allows this move", (), True)
        allowed = ", ".join(allowed_moves(old)) or "none"
        problem = f"the lifecycle does not allow {old} → {new} (allowed: {allowed})"
        return ActionPreview(step, kind, summary, "", (), False, problem)
    if isinstance(action, NotifyAction):
        title = render(action.title, values)
        problem = _unknown(action.users, known)
        summary = f"Notify {_who(action.users)}: “{title}”"
        body = render(action.body, values)
        return ActionPreview(
            step, kind, summary, body, tuple(action.users), problem is None, problem
        )
    if isinstance(action, AssignAction):
        was = facts.get("assignee") or "nobody"
        problem = _unknown([action.user], known)
        facts["assignee"] = action.user
        summary = f"Make {action.user} the assignee (was {was})"
        return ActionPreview(step, kind, summary, "", (action.user,), problem is None, problem)
    if isinstance(action, CreateTaskAction):
        assignee = action.assignee or facts.get("owner")
        title = render(action.title, values)
        due = (
            f", due {today + dt.timedelta(days=action.due_in_days)}"
            if action.due_in_days is not None
            else ""
        )
        who = str(assignee) if assignee else "nobody (the policy has no owner)"
        problem = _unknown([str(assignee)], known) if assignee else None
        summary = f"Task “{title}” for {who}{due}"
        detail = render(action.description, values)
        recipients = (str(assignee),) if assignee else ()
        return ActionPreview(step, kind, summary, detail, recipients, problem is None, problem)
    assert isinstance(action, ApprovalAction)
    title = render(action.title, values) if action.title else f"Approval of {facts['code']}"
    due = f"; due in {action.due_in_days} days" if action.due_in_days is not None else ""
    who = "every eligible approver" if action.any_approver else _who(action.approvers)
    summary = f"Ask {who} to approve “{title}”: {rule_text(action)}{due}"
    problem = _unknown(action.approvers, known)
    detail = "the workflow waits here until the rule is met; a rejection ends it"
    return ActionPreview(
        step, kind, summary, detail, tuple(action.approvers), problem is None, problem
    )


class DryRunService:
    """Runs ``dry_run`` against a policy from the register, counts the policies a workflow
    matches and finds policies for the picker (reads only)."""

    def __init__(self, policies: PolicyService, users: UserDirectory, scope: DryRunScope) -> None:
        self._policies = policies
        self._users = users
        self._scope = scope

    def find(self, text: str) -> list[PolicyChoice]:
        return self._scope.find(text)

    def match_count(self, defn: WorkflowDefinition) -> MatchCount:
        return self._scope.match_count(defn)

    def run(
        self, defn: WorkflowDefinition, code: str, today: dt.date | None = None
    ) -> DryRunReport:
        policy = self._policies.get(code)
        known = {u.username for u in self._users.list()}
        return dry_run(defn, policy, known, today)

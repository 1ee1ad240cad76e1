"""What the inbox says around an answer: the act a person signs for one or several requests,
the per-request report afterwards, and which request comes next (approve-and-next)."""

from __future__ import annotations

from collections.abc import Sequence

from governance_desktop.services.inbox import ApprovalItem
from governance_desktop.services.inbox_answers import Answered

#: Requests named in full in the sign dialog; more are counted.
NAMED_IN_ACT = 5


def request_name(item: ApprovalItem) -> str:
    """``POL-003 v2 (approval 7)``."""
    version = f" v{item.policy_version}" if item.policy_version is not None else ""
    return f"{item.policy}{version} (approval {item.id})"


def act_text(items: Sequence[ApprovalItem], approve: bool) -> str:
    """What the sign dialog says is signed: one request with its step, or each request
    (each gets its own signed record)."""
    verb = "Approve" if approve else "Reject"
    if len(items) == 1:
        return f"{verb} {request_name(items[0])}: {items[0].step_title}"
    names = ", ".join(request_name(i) for i in items[:NAMED_IN_ACT])
    more = f" and {len(items) - NAMED_IN_ACT} more" if len(items) > NAMED_IN_ACT else ""
    return f"{verb} {len(items)} requests, each signed on its own: {names}{more}"


def report(
    items: Sequence[ApprovalItem], results: Sequence[Answered], approve: bool
) -> tuple[str, str]:
    """(message, refusals): what was answered, and one line per request that was not, with
    the rule that refused it."""
    by_id = {i.id: i for i in items}
    done = [r for r in results if r.ok]
    refused = [r for r in results if not r.ok]
    past = "Approved" if approve else "Rejected"
    if len(results) == 1 and done:
        info, item = done[0].info, by_id[done[0].approval_id]
        assert info is not None
        signature = info.signature.manifestation if info.signature else info.status
        message = f"{signature}: {item.policy} ({item.step_title})."
    elif done:
        names = ", ".join(request_name(by_id[r.approval_id]) for r in done)
        message = f"{past} {len(done)} of {len(results)}, each signed: {names}."
    else:
        message = ""
    verb = "approved" if approve else "rejected"
    lines = [f"Not {verb}: {request_name(by_id[r.approval_id])}: {r.refusal}" for r in refused]
    if len(results) == 1 and refused:
        lines = [f"Not {verb}: {refused[0].refusal}"]
    return message, "\n".join(lines)

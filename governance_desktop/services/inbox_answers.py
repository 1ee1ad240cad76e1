"""One answer for several approval requests: each answered in its own signed transaction with
the same signer, comment and reason, each refusal kept with its request, none lost.

The inbox's multi-select calls it in one background write. Every request still gets its own
signed record (`ApprovalService.approve`/`reject` sign each row), and each one checks its own
rules: a refusal (segregation of duties, one person one vote, a changed text, a request
already answered) is reported for that request and the others are still answered. The signer
is valid for two minutes from the password (`services/identity.require_signer`): a request
reached after that is refused with that rule, and the person signs again for what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.services.approvals import ApprovalService
from governance_desktop.services.dto import ApprovalInfo
from governance_desktop.services.identity import Signer


@dataclass(frozen=True)
class Answered:
    """What became of one request: its signed answer, or the one-line refusal."""

    approval_id: int
    info: ApprovalInfo | None = None
    refusal: str = ""

    @property
    def ok(self) -> bool:
        return self.info is not None


def answer_each(
    approvals: ApprovalService,
    approval_ids: Sequence[int],
    actor: str,
    *,
    approve: bool,
    comment: str | None,
    reason: str | None,
    signer: Signer,
    on_behalf: frozenset[int] = frozenset(),
) -> list[Answered]:
    """Answer every request in `approval_ids`, in order; `reason` goes only with those in
    `on_behalf` (an admin answering another approver's request)."""
    results: list[Answered] = []
    for approval_id in approval_ids:
        why = reason if approval_id in on_behalf else None
        try:
            if approve:
                info = approvals.approve(approval_id, actor, comment, why, signer=signer)
            else:
                info = approvals.reject(approval_id, actor, comment, why, signer=signer)
        except GovernanceError as exc:
            results.append(Answered(approval_id, refusal=str(exc)))
        else:
            results.append(Answered(approval_id, info=info))
    return results

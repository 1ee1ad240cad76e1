"""Demo data: five users (an officer, three approvers, an auditor), a dozen policies across the
lifecycle, the example workflows. Loading it needs an admin (Permission.SETTINGS).

Every policy gets where it is the way a real one would: its text approved by an approver
through the Standard approval (docs/authority.md) before it is approved or published. POL-001
is published with a working revision in review, so the Versions tab and the inbox show a diff.
Idempotent: what exists already is left as it is, so running it twice changes nothing.

Loading is signed by the admin (it publishes policies and workflow versions). Each demo user
gets a random initial password, reported once, to be changed at first use; the demo approver's
answers are signed with theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.enums import ApprovalStatus, PolicyStatus, Role
from governance_desktop.domain.errors import ConflictError, NotFoundError
from governance_desktop.services.approvals import ApprovalService
from governance_desktop.services.dto import ImportResult
from governance_desktop.services.identity import IdentityService, Signer, initial_password
from governance_desktop.services.policies import PolicyService
from governance_desktop.services.signatures import require_signer
from governance_desktop.services.users import UserDirectory
from governance_desktop.services.workflows import DefinitionSource, WorkflowLibrary

S = PolicyStatus
DEMO_USERS = (
    ("alice", "Alice Martin", Role.OFFICER),
    ("bob", "Bob Chen", Role.APPROVER),
    ("carol", "Carol Diaz", Role.APPROVER),
    ("dave", "Dave Okafor", Role.APPROVER),
    ("erin", "Erin Walsh", Role.AUDITOR),
)
#: Who approves the demo's texts (any one approver meets the Standard approval).
DEMO_APPROVER = "bob"
REVISED = "POL-001"
REVISION_TEXT = (
    "\n\nEvery system that stores personal data is reviewed twice a year, and its access "
    "list is signed off by the data owner."
)
_TO_PUBLISHED = (S.IN_REVIEW, S.AWAITING_APPROVAL, S.APPROVED, S.PUBLISHED)
DEMO_POLICIES: tuple[tuple[str, str, str, tuple[PolicyStatus, ...]], ...] = (
    ("POL-001", "Information Security Policy", "alice", _TO_PUBLISHED),
    ("POL-002", "Acceptable Use Policy", "alice", _TO_PUBLISHED),
    ("POL-003", "Data Retention Policy", "alice", ()),
    ("POL-004", "Vendor Management Policy", "bob", (S.IN_REVIEW,)),
    ("POL-005", "Access Control Policy", "alice", (S.IN_REVIEW, S.AWAITING_APPROVAL)),
    ("POL-006", "Incident Response Policy", "carol", _TO_PUBLISHED[:3]),
    ("POL-007", "Business Continuity Policy", "carol", _TO_PUBLISHED),
    ("POL-008", "Password Policy", "alice", (*_TO_PUBLISHED, S.RETIRED)),
    ("POL-009", "Remote Working Policy", "bob", ()),
    ("POL-010", "Security Encryption Standard", "alice", (S.IN_REVIEW,)),
    ("POL-011", "Privacy Notice", "carol", _TO_PUBLISHED),
    ("POL-012", "Clean Desk Policy", "bob", (S.RETIRED,)),
)


def example_sources() -> list[DefinitionSource]:
    """The example workflow files shipped in ``resources/examples`` (also in a bundle)."""
    folder = resources.files("governance_desktop") / "resources" / "examples"
    return [
        DefinitionSource(f"examples/{item.name}", text=item.read_bytes())
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.name.endswith(".json")
    ]


@dataclass
class DemoReport:
    users_added: list[str] = field(default_factory=list)
    #: The initial password of each user added (shown once, changed at first use).
    initial_passwords: dict[str, str] = field(default_factory=dict)
    policies_added: list[str] = field(default_factory=list)
    workflows: list[ImportResult] = field(default_factory=list)


def seed_demo(
    actor: str,
    users: UserDirectory,
    policies: PolicyService,
    workflows: WorkflowLibrary,
    examples: list[DefinitionSource],
    *,
    approvals: ApprovalService,
    identity: IdentityService,
    signer: Signer | None,
) -> DemoReport:
    users.require(actor, Permission.SETTINGS)
    admin = require_signer(signer, actor, "loading the demo data")
    report = DemoReport()
    existing = {user.username for user in users.list()}
    for username, name, role in DEMO_USERS:
        if username not in existing:
            password = initial_password(username)
            users.add(actor, username, name, role, initial_password=password)
            report.users_added.append(username)
            report.initial_passwords[username] = password
    approver: list[Signer] = []

    def approver_signer() -> Signer:
        if not approver:
            password = report.initial_passwords.get(DEMO_APPROVER)
            if password is None:
                raise ConflictError(
                    f"the demo approver '{DEMO_APPROVER}' exists already with a password the "
                    "demo does not know: load the demo into a new register"
                )
            approver.append(identity.signer(DEMO_APPROVER, password, initial_ok=True))
        return approver[0]

    for code, title, owner, path in DEMO_POLICIES:
        try:
            policies.get(code)
            continue
        except NotFoundError:
            pass
        body = f"{title}.\n\nScope, roles and rules of the organisation's {title.lower()}."
        policies.add(actor, code, title, body=body, owner=owner)
        _walk(admin, policies, approvals, code, path, approver_signer)
        if code == REVISED:
            # A published policy with its next revision in review: the diff the inbox shows.
            policies.update(actor, code, body=body + REVISION_TEXT)
            _walk(admin, policies, approvals, code, (S.IN_REVIEW,), approver_signer)
        report.policies_added.append(code)
    # Workflows last, so the demo's own history does not start any of them.
    report.workflows = workflows.import_definitions(actor, examples, signer=admin)
    return report


def _walk(
    admin: Signer,
    policies: PolicyService,
    approvals: ApprovalService,
    code: str,
    path: tuple[PolicyStatus, ...],
    approver: Callable[[], Signer],
) -> None:
    """Move ``code`` along ``path`` as the admin; awaiting approval → approved by the demo
    approver's signed answer to the Standard approval the move asked for."""
    for status in path:
        if status is S.APPROVED:
            _approve(approvals, code, approver)
            if policies.get(code).status == S.APPROVED:
                continue
        policies.change_status(admin.username, code, status, comment="demo data", signer=admin)


def _approve(approvals: ApprovalService, code: str, approver: Callable[[], Signer]) -> None:
    pending = [
        row
        for row in approvals.list(approver=DEMO_APPROVER, status=ApprovalStatus.PENDING)
        if row.policy == code
    ]
    for row in pending:
        approvals.approve(row.id, DEMO_APPROVER, "demo data: text reviewed", signer=approver())

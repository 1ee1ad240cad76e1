"""Every released schema revision's database, as a user has it, opens in this app intact.

`upgrade_fixtures/` keeps one file per released revision, made by `tools/make_upgrade_fixture.py`
(demo data, reviews started, an approval given and one refused, every job run), and the facts
that file held. Opening it must bring it to head, back up the old file when a migration runs,
and keep every fact; the app must then go on working with it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from governance_desktop.services.identity import Signer
from governance_desktop.services.signature_check import verify_signatures
from governance_desktop.store.migrate import HEAD_REVISION, current_revision
from tests.helpers.identity import signer

FIXTURES = Path(__file__).parent / "upgrade_fixtures"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from make_upgrade_fixture import facts  # noqa: E402

STORED = sorted(FIXTURES.glob("governance-rev*.db"))


#: Why the upgrade tests run on SQLite only.
UPGRADE_FILES = (
    "the stored fixtures are SQLite files; on PostgreSQL each test's database is cloned from "
    "one migrated from empty to head"
)


def test_a_fixture_exists_for_the_head_revision() -> None:
    """Releasing a revision means storing its file: the newest one must be here."""
    assert FIXTURES / f"governance-rev{HEAD_REVISION}.db" in STORED


def _introduced(db: Path) -> list[tuple[str, dict[str, Any], str]]:
    """The `signatures.introduced` events in ``db``: (actor, details, prev_hash)."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT actor, details, prev_hash FROM audit_events "
            "WHERE action = 'signatures.introduced' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return [(actor, json.loads(details), prev) for actor, details, prev in rows]


def _answered(db: Path) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT id FROM workflow_approvals WHERE status IN ('approved', 'rejected') ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return [row[0] for row in rows]


def _signer_for(ctx: AppContext, username: str, expected: dict[str, Any]) -> Signer:
    """``username``'s signer: with the fixture's password where it set one (revision 0004
    on), else with the tests' own first password."""
    if "password" in expected:
        return ctx.identity.signer(username, expected["password"])
    return signer(ctx, username)


@pytest.mark.sqlite_only(UPGRADE_FILES)
@pytest.mark.parametrize("stored", STORED, ids=[p.stem for p in STORED])
def test_stored_database_upgrades_to_head_and_keeps_its_data(stored: Path, data_dir: Path) -> None:
    """Upgrade to head: same rows, same audit head, chain intact, old file backed up; a file
    from before signatures gains only the `signatures.introduced` event after its old head."""
    expected = json.loads(stored.with_suffix(".json").read_text(encoding="utf-8"))
    data_dir.mkdir(parents=True, mode=0o700)
    shutil.copyfile(stored, data_dir / "governance.db")
    answered_before = _answered(stored)

    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        assert current_revision(ctx.db) == HEAD_REVISION
        assert ctx.migration.from_revision == expected["revision"]
        backups = list((data_dir / "backups").glob(f"governance-rev{expected['revision']}-*.db"))
        assert len(backups) == (0 if expected["revision"] == HEAD_REVISION else 1)
        assert ctx.audit.verify().ok
    finally:
        ctx.close()

    found = facts(data_dir / "governance.db")
    assert found["revision"] == HEAD_REVISION
    for key in ("policies", "approvals"):
        assert found[key] == expected[key], key
    counts = {table: found["counts"][table] for table in expected["counts"]}
    introduced = _introduced(data_dir / "governance.db")
    if expected["revision"] < "0004" and answered_before:
        [(actor, details, prev)] = introduced
        assert (actor, details) == ("system", {"unsigned_approvals": answered_before})
        assert prev == expected["audit_head"]
        assert counts == {
            **expected["counts"],
            "audit_events": expected["counts"]["audit_events"] + 1,
        }
    else:
        assert introduced == [] or expected["revision"] >= "0004"
        assert counts == expected["counts"]
        assert found["audit_head"] == expected["audit_head"]


@pytest.mark.sqlite_only(UPGRADE_FILES)
@pytest.mark.parametrize("stored", STORED, ids=[p.stem for p in STORED])
def test_upgraded_database_keeps_working(stored: Path, data_dir: Path) -> None:
    """After the upgrade a pending approval can be answered (signed) and a new change is
    audited; every signature, old and new, verifies."""
    expected = json.loads(stored.with_suffix(".json").read_text(encoding="utf-8"))
    data_dir.mkdir(parents=True, mode=0o700)
    shutil.copyfile(stored, data_dir / "governance.db")
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        # An officer named by an older release's workflow may no longer answer (rule: role).
        approvers = {u.username for u in ctx.users.list() if u.role in ("approver", "admin")}
        pending = [
            a for a in ctx.approvals.list() if a.status == "pending" and a.approver in approvers
        ]
        assert pending, "the fixture should hold a pending approval of an approver"
        by = _signer_for(ctx, pending[0].approver, expected)
        answered = ctx.approvals.approve(
            pending[0].id, pending[0].approver, "after upgrade", signer=by
        )
        assert answered.status == "approved"
        assert answered.signature is not None
        ctx.policies.add("fixture-admin", "POL-900", "Added after the upgrade", owner="alice")
        assert ctx.audit.verify().ok
        with ctx.db.reading() as session:
            count, problems = verify_signatures(session)
        assert problems == [] and count >= 1
    finally:
        ctx.close()


@pytest.mark.sqlite_only(UPGRADE_FILES)
def test_rev0003_answers_are_named_as_given_before_signatures(data_dir: Path) -> None:
    """A 0003 file with answered approvals: migration 0004 names them in one
    `signatures.introduced` event chained after the old head; the chain verifies and
    `verify_signatures` accepts them unsigned, but not an answer given after the upgrade."""
    from sqlalchemy import update

    from governance_desktop.domain.enums import ApprovalStatus
    from governance_desktop.store.models import WorkflowApproval

    stored = FIXTURES / "governance-rev0003.db"
    expected = json.loads(stored.with_suffix(".json").read_text(encoding="utf-8"))
    answered = _answered(stored)
    assert answered, "the 0003 fixture should hold answered approvals"
    data_dir.mkdir(parents=True, mode=0o700)
    shutil.copyfile(stored, data_dir / "governance.db")
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        [(actor, details, prev)] = _introduced(data_dir / "governance.db")
        assert (actor, details) == ("system", {"unsigned_approvals": answered})
        assert prev == expected["audit_head"]
        assert ctx.audit.verify().ok
        with ctx.db.reading() as session:
            assert verify_signatures(session) == (0, [])
        pending = next(a for a in ctx.approvals.list() if a.status == ApprovalStatus.PENDING)
        with ctx.db.transaction() as session:  # an answer written behind the app's back
            session.execute(
                update(WorkflowApproval)
                .where(WorkflowApproval.id == pending.id)
                .values(status=ApprovalStatus.APPROVED, responded_by=pending.approver)
            )
        with ctx.db.reading() as session:
            _, problems = verify_signatures(session)
        assert [str(p) for p in problems] == [
            f"approval {pending.id}: answered without a valid signature"
        ]
    finally:
        ctx.close()


@pytest.mark.sqlite_only(UPGRADE_FILES)
def test_upgrade_keeps_each_text_as_its_first_version(data_dir: Path) -> None:
    """Migration 0003 stores every policy's text as a version whose hash is the app's
    content hash; published texts become effective, approved and published ones approved."""
    from sqlalchemy import select

    from governance_desktop.domain.document import content_hash
    from governance_desktop.store.models import Policy, PolicyVersion

    data_dir.mkdir(parents=True, mode=0o700)
    shutil.copyfile(FIXTURES / "governance-rev0002.db", data_dir / "governance.db")
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        with ctx.db.reading() as session:
            rows = session.execute(
                select(Policy, PolicyVersion).join(
                    PolicyVersion,
                    (PolicyVersion.policy_id == Policy.id)
                    & (PolicyVersion.number == Policy.version),
                )
            ).all()
            count = session.query(Policy).count()
            assert len(rows) == count > 0
            for policy, version in rows:
                expected = content_hash(
                    policy.title, policy.body, policy.owner, policy.review_interval_days
                )
                assert version.content_hash == expected, policy.code
                published = policy.status == "published"
                assert policy.effective_version == (policy.version if published else None)
                approved = policy.status in ("approved", "published")
                assert (version.approved_at is not None) == approved, policy.code
    finally:
        ctx.close()

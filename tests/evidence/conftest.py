"""Evidence fixtures: the demo register (bob's signed approval of POL-001, its two versions,
the Standard approval's execution), plus an auditor and an approver with PASSWORD."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import Role
from tests.helpers.actors import ME
from tests.helpers.identity import credential, signer

AUDITOR = "audra"
APPROVER = "apollo"


@pytest.fixture
def demo(ctx: AppContext) -> Iterator[AppContext]:
    """``ctx`` with the demo data, an auditor AUDITOR and an approver APPROVER."""
    ctx.load_demo(ME, signer(ctx, ME))
    ctx.users.add(ME, AUDITOR, "Audra Lee", Role.AUDITOR)
    ctx.users.add(ME, APPROVER, "Apollo Reyes", Role.APPROVER)
    credential(ctx, AUDITOR)
    credential(ctx, APPROVER)
    yield ctx

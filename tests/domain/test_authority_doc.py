"""docs/authority.md's permission matrix is the one the code enforces."""

from __future__ import annotations

from pathlib import Path

from governance_desktop.domain.authority import MATRIX, Permission, allows, refusal
from governance_desktop.domain.enums import Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "authority.md"


def _doc_matrix() -> dict[str, dict[str, bool]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- matrix:start -->")[1].split("<!-- matrix:end -->")[0]
    rows = [line.strip().strip("|").split("|") for line in table.strip().splitlines()]
    header = [cell.strip() for cell in rows[0][1:]]
    return {
        cells[0].strip(): {
            role: cell.strip() == "yes" for role, cell in zip(header, cells[1:], strict=True)
        }
        for cells in rows[2:]
    }


def test_the_documented_matrix_is_the_enforced_one() -> None:
    """Every act × role cell of docs/authority.md says what `MATRIX` says, and no act is missing."""
    documented = _doc_matrix()
    assert set(documented) == {p.value for p in Permission}
    for permission in Permission:
        for role in Role:
            assert documented[permission.value][role.value] == (permission in MATRIX[role]), (
                permission,
                role,
            )


def test_an_auditor_changes_nothing_and_an_admin_may_do_everything() -> None:
    """The auditor may only read, verify and export; the admin may do every act."""
    assert MATRIX[Role.AUDITOR] == {Permission.READ, Permission.VERIFY_AUDIT, Permission.EXPORT}
    assert MATRIX[Role.ADMIN] == set(Permission)
    assert not allows("root", Permission.READ)


def test_a_refusal_names_who_their_role_the_act_and_the_rule() -> None:
    """One line: the actor, their role, the roles that may, the act, the rule."""
    line = refusal("bob", Role.APPROVER, Permission.MANAGE_WORKFLOWS)
    assert line == (
        "'bob' is approver; only admin may import, edit, enable and disable workflows (rule: role)"
    )

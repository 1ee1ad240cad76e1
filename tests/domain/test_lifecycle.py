"""Policy lifecycle: the allowed moves, the refusal message, and state-machine properties."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance_desktop.domain.enums import PolicyStatus as S
from governance_desktop.domain.errors import LifecycleError
from governance_desktop.domain.lifecycle import (
    ALLOWED_MOVES,
    allowed_moves,
    check_move,
    person_moves,
)

# Written out from DESIGN.md "Policy lifecycle", independently of the implementation.
EXPECTED: set[tuple[S, S]] = {
    (S.DRAFT, S.IN_REVIEW),
    (S.IN_REVIEW, S.AWAITING_APPROVAL),
    (S.IN_REVIEW, S.DRAFT),
    (S.AWAITING_APPROVAL, S.APPROVED),
    (S.AWAITING_APPROVAL, S.DRAFT),
    (S.APPROVED, S.PUBLISHED),
    (S.APPROVED, S.DRAFT),
    (S.PUBLISHED, S.IN_REVIEW),
    (S.DRAFT, S.RETIRED),
    (S.IN_REVIEW, S.RETIRED),
    (S.AWAITING_APPROVAL, S.RETIRED),
    (S.APPROVED, S.RETIRED),
    (S.PUBLISHED, S.RETIRED),
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(S, S)))
def test_every_pair_is_allowed_exactly_per_design(old: S, new: S) -> None:
    """Each (old, new) pair is allowed iff DESIGN.md lists it; check_move agrees."""
    allowed = (old, new) in EXPECTED
    assert (new in ALLOWED_MOVES[old]) is allowed
    if allowed:
        check_move("POL-001", old, new)
    else:
        with pytest.raises(LifecycleError):
            check_move("POL-001", old, new)


def test_table_covers_every_status() -> None:
    """ALLOWED_MOVES has an entry for every status and retired has none."""
    assert set(ALLOWED_MOVES) == set(S)
    assert ALLOWED_MOVES[S.RETIRED] == frozenset()


def test_allowed_moves_in_lifecycle_order() -> None:
    """allowed_moves lists targets in enum (lifecycle) order."""
    assert allowed_moves(S.IN_REVIEW) == [S.DRAFT, S.AWAITING_APPROVAL, S.RETIRED]
    assert allowed_moves(S.RETIRED) == []


def test_refusal_message_names_allowed_moves() -> None:
    """A refused move reads 'CODE: cannot move from X to Y (allowed: ...)'."""
    with pytest.raises(LifecycleError) as info:
        check_move("POL-003", S.DRAFT, S.PUBLISHED)
    assert (
        str(info.value)
        == "POL-003: cannot move from draft to published (allowed: in_review, retired)"
    )


def test_refusal_from_retired_says_none() -> None:
    """Nothing leaves retired: the message says '(allowed: none)'."""
    with pytest.raises(LifecycleError) as info:
        check_move("POL-009", S.RETIRED, S.DRAFT)
    assert str(info.value) == "POL-009: cannot move from retired to draft (allowed: none)"


def test_same_status_is_not_a_move() -> None:
    """Moving a policy to the status it already has is refused."""
    for status in S:
        with pytest.raises(LifecycleError):
            check_move("POL-001", status, status)


@given(st.lists(st.integers(min_value=0, max_value=10), max_size=40))
def test_random_walks_take_only_allowed_moves(choices: list[int]) -> None:
    """A walk that picks among allowed_moves only ever makes moves DESIGN.md allows."""
    status = S.DRAFT
    for choice in choices:
        options = allowed_moves(status)
        if not options:
            assert status is S.RETIRED
            break
        new = options[choice % len(options)]
        assert (status, new) in EXPECTED
        check_move("POL-001", status, new)
        status = new


@given(st.sampled_from(list(S)), st.sampled_from(list(S)))
def test_check_move_raises_iff_not_allowed(old: S, new: S) -> None:
    """check_move raises exactly when the move is absent from the design's table."""
    try:
        check_move("POL-001", old, new)
        raised = False
    except LifecycleError:
        raised = True
    assert raised is ((old, new) not in EXPECTED)


def test_a_person_is_never_offered_approved() -> None:
    """person_moves is the lifecycle less "approved" (reached only by a met approval rule)."""
    for status in S:
        assert person_moves(status) == [t for t in allowed_moves(status) if t is not S.APPROVED]
    assert person_moves(S.AWAITING_APPROVAL) == [S.DRAFT, S.RETIRED]

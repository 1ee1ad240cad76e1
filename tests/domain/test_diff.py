"""Word-level diff of two policy texts, the field changes, and the marked text lines."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from governance_desktop.domain.diff import (
    FieldChange,
    Op,
    Segment,
    field_changes,
    marked_lines,
    new_text,
    old_text,
    tokens,
    word_diff,
)


def test_a_changed_word_is_deleted_and_inserted_alone() -> None:
    """Replacing one word marks only that word; its neighbours and punctuation stay equal."""
    assert word_diff("The officer shall review access.", "The officer must review access.") == [
        Segment(Op.EQUAL, "The officer "),
        Segment(Op.DELETE, "shall"),
        Segment(Op.INSERT, "must"),
        Segment(Op.EQUAL, " review access."),
    ]


def test_inserted_and_deleted_words_and_lines() -> None:
    """Words added inside a line, a line removed and a line added each get their own segment."""
    old = "Review yearly.\nKeep logs.\nEnd.\n"
    new = "Review access yearly.\nEnd.\nSign here.\n"
    assert word_diff(old, new) == [
        Segment(Op.EQUAL, "Review"),
        Segment(Op.INSERT, " access"),
        Segment(Op.EQUAL, " yearly.\n"),
        Segment(Op.DELETE, "Keep logs.\n"),
        Segment(Op.EQUAL, "End.\n"),
        Segment(Op.INSERT, "Sign here.\n"),
    ]


def test_same_text_is_one_equal_segment_and_empty_texts_none() -> None:
    """Unchanged text is one equal run; two empty texts give no segments."""
    assert word_diff("Same text.\n", "Same text.\n") == [Segment(Op.EQUAL, "Same text.\n")]
    assert word_diff("", "") == []
    assert word_diff("", "New.") == [Segment(Op.INSERT, "New.")]


def test_tokens_split_words_spaces_and_punctuation() -> None:
    """Tokens are words, white-space runs and punctuation runs; together they are the text."""
    assert tokens("Hi,  you…\n") == ["Hi", ",", "  ", "you", "…", "\n"]


@given(st.text(alphabet="ab .,\n", max_size=60), st.text(alphabet="ab .,\n", max_size=60))
def test_segments_rebuild_both_texts(old: str, new: str) -> None:
    """Equal + deleted segments give the old text; equal + inserted give the new one."""
    segments = word_diff(old, new)
    assert old_text(segments) == old
    assert new_text(segments) == new
    assert all(s.text for s in segments)
    assert all(a.op is not b.op for a, b in pairwise(segments))


def test_field_changes_name_every_field_with_old_and_new() -> None:
    """Title, owner and review interval are compared one by one, unchanged ones included."""
    old = {"title": "Access", "owner": "carol", "review_interval_days": 365}
    new = {"title": "Access control", "owner": "carol", "review_interval_days": 180}
    assert field_changes(old, new) == [
        FieldChange("title", "Access", "Access control", True),
        FieldChange("owner", "carol", "carol", False),
        FieldChange("review_interval_days", 365, 180, True),
    ]


def test_marked_lines_show_changes_with_context() -> None:
    """Changed lines carry [-…-] and {+…+} marks, with two lines of context per hunk."""
    old = "".join(f"line {n}\n" for n in range(1, 11))
    new = old.replace("line 2\n", "line two\n").replace("line 9\n", "")
    assert marked_lines(word_diff(old, new)) == [
        "@@ line 1 @@",
        "line 1",
        "line [-2-]{+two+}",
        "line 3",
        "line 4",
        "@@ line 7 @@",
        "line 7",
        "line 8",
        "[-line 9-]",
        "line 10",
    ]

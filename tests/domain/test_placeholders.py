"""Placeholders in action text: allow-list, escaping, rendering."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance_desktop.domain.workflow.placeholders import (
    PLACEHOLDER_FIELDS,
    check_template,
    placeholders_in,
    render,
)


def test_render_fills_allowed_fields() -> None:
    """Every allow-listed field renders from the values mapping."""
    values = {name: f"<{name}>" for name in PLACEHOLDER_FIELDS}
    text = " ".join("{policy." + name + "}" for name in PLACEHOLDER_FIELDS)
    assert render(text, values) == " ".join(f"<{name}>" for name in PLACEHOLDER_FIELDS)


def test_none_and_missing_render_empty() -> None:
    """None and absent values render as the empty string."""
    assert render("[{policy.owner}][{policy.assignee}]", {"owner": None}) == "[][]"


def test_dates_and_numbers_render_plainly() -> None:
    """Dates render as ISO text and numbers as digits."""
    values = {"next_review_date": dt.date(2025, 3, 1), "version": 4}
    assert render("{policy.next_review_date} v{policy.version}", values) == "2025-03-01 v4"


def test_double_braces_are_literal() -> None:
    """'{{' and '}}' render as single braces and are not placeholders."""
    assert render("{{policy.code}} is {policy.code}", {"code": "POL-1"}) == "{policy.code} is POL-1"


def test_attribute_access_is_refused() -> None:
    """{policy.__class__} is an unknown placeholder, and the message lists the allowed ones."""
    with pytest.raises(ValueError) as info:
        check_template("Hello {policy.__class__}")
    message = str(info.value)
    assert message.startswith("unknown placeholder {policy.__class__} (allowed: {policy.code}, ")
    assert "{policy.review_interval_days})" in message


@pytest.mark.parametrize(
    "text",
    ["{policy.code.__len__}", "{policy}", "{code}", "{0}", "{policy.code!r}", "{policy.body}"],
)
def test_other_names_are_unknown(text: str) -> None:
    """Format-string tricks and fields off the allow-list are refused."""
    with pytest.raises(ValueError, match="unknown placeholder"):
        check_template(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a { b", "unbalanced '{' at character 3"),
        ("a } b", "unbalanced '}' at character 3"),
        ("{policy.code", "unbalanced '{' at character 1"),
        ("{x{policy.code}}", "unbalanced '{' at character 1"),
    ],
)
def test_unbalanced_braces_are_reported(text: str, message: str) -> None:
    """A lone brace is reported with its position and how to write a literal one."""
    with pytest.raises(ValueError, match="unbalanced") as info:
        check_template(text)
    assert str(info.value).startswith(message)


def test_placeholders_in_lists_fields() -> None:
    """placeholders_in returns the referenced field names in order."""
    assert placeholders_in("{policy.code}: {policy.title} {{x}}") == ["code", "title"]


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=200))
def test_text_without_braces_renders_unchanged(text: str) -> None:
    """Plain text (no braces) passes the check and renders to itself."""
    check_template(text)
    assert render(text, {}) == text


@given(st.text(max_size=200))
def test_check_template_raises_only_value_error(text: str) -> None:
    """Any text either passes or raises ValueError; render agrees with the check."""
    try:
        check_template(text)
    except ValueError:
        with pytest.raises(ValueError):
            render(text, {})
    else:
        render(text, {"code": "X"})

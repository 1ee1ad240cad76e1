"""What changed between two policy versions: the text word by word, the other fields one by one.

Texts are compared line by line first, then word by word inside the lines that changed, so a
long policy with a few edits costs little (difflib is quadratic in the tokens it compares).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Any

#: The fields of a version compared one by one (the body is compared word by word).
DIFFED_FIELDS = ("title", "owner", "review_interval_days")

# A word, a run of white space (line breaks included), or a run of punctuation: each one token,
# so "shall." → "must." changes the word and keeps the full stop.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]+")


class Op(StrEnum):
    EQUAL = "equal"
    INSERT = "insert"
    DELETE = "delete"


@dataclass(frozen=True)
class Segment:
    """A run of text that is in both versions (equal), only the new (insert) or only the old."""

    op: Op
    text: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any
    changed: bool


def tokens(text: str) -> list[str]:
    """``text`` as words, white-space runs and punctuation runs; joined they give it back."""
    return _TOKEN.findall(text)


def _merge(segments: Iterator[Segment]) -> list[Segment]:
    """Adjacent segments of one kind joined; empty ones dropped."""
    merged: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if merged and merged[-1].op is segment.op:
            merged[-1] = Segment(segment.op, merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return merged


def _word_segments(old: str, new: str) -> Iterator[Segment]:
    a, b = tokens(old), tokens(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            yield Segment(Op.EQUAL, "".join(a[i1:i2]))
            continue
        # a replacement reads best as the old words struck, then the new ones
        yield Segment(Op.DELETE, "".join(a[i1:i2]))
        yield Segment(Op.INSERT, "".join(b[j1:j2]))


def word_diff(old: str, new: str) -> list[Segment]:
    """The segments that turn ``old`` into ``new``: equal, delete and insert runs of words.

    Joining the equal and delete texts gives ``old``; the equal and insert texts give ``new``.
    """
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = SequenceMatcher(None, a, b, autojunk=False)

    def segments() -> Iterator[Segment]:
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                yield Segment(Op.EQUAL, "".join(a[i1:i2]))
            elif tag == "delete":
                yield Segment(Op.DELETE, "".join(a[i1:i2]))
            elif tag == "insert":
                yield Segment(Op.INSERT, "".join(b[j1:j2]))
            else:
                yield from _word_segments("".join(a[i1:i2]), "".join(b[j1:j2]))

    return _merge(segments())


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """Every compared field (``DIFFED_FIELDS``) with its old and new value, changed or not."""
    pairs = [(name, old.get(name), new.get(name)) for name in DIFFED_FIELDS]
    return [FieldChange(name, was, now, was != now) for name, was, now in pairs]


def old_text(segments: Sequence[Segment]) -> str:
    return "".join(s.text for s in segments if s.op is not Op.INSERT)


def new_text(segments: Sequence[Segment]) -> str:
    return "".join(s.text for s in segments if s.op is not Op.DELETE)


def marked_lines(segments: Sequence[Segment], context: int = 2) -> list[str]:
    """The diff as text lines with ``[-deleted-]`` and ``{+inserted+}`` marks (as
    ``git diff --word-diff=plain`` writes them): only the changed lines and ``context`` lines
    around them, each run headed ``@@ line N @@`` (N: its first line in the new text)."""
    lines: list[str] = [""]
    changed: list[bool] = [False]
    numbers: list[int] = [1]  # each marked line's number in the new text
    for segment in segments:
        parts = segment.text.split("\n")
        for index, part in enumerate(parts):
            if index:
                # a line break deleted or inserted changes the line it ends
                if segment.op is not Op.EQUAL:
                    changed[-1] = True
                numbers.append(numbers[-1] + (segment.op is not Op.DELETE))
                lines.append("")
                changed.append(False)
            if not part:
                continue
            if segment.op is Op.DELETE:
                lines[-1] += f"[-{part}-]"
            elif segment.op is Op.INSERT:
                lines[-1] += f"{{+{part}+}}"
            else:
                lines[-1] += part
                continue
            changed[-1] = True
    if len(lines) > 1 and lines[-1] == "" and not changed[-1]:
        del lines[-1], changed[-1], numbers[-1]  # the text's final line break
    shown = [False] * len(lines)
    for index, is_changed in enumerate(changed):
        if is_changed:
            for near in range(max(0, index - context), min(len(lines), index + context + 1)):
                shown[near] = True
    out: list[str] = []
    for index, line in enumerate(lines):
        if not shown[index]:
            continue
        if index == 0 or not shown[index - 1]:
            out.append(f"@@ line {numbers[index]} @@")
        out.append(line)
    return out

"""Rules for text people type: limits, NUL, names, and escaping for terminals.

NUL is refused everywhere because PostgreSQL (team mode) cannot store it; names people pick
between must also be NFC, printable and free of invisible characters (see ``check_name``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from governance_desktop.domain._common import short_repr
from governance_desktop.domain.confusables import skeleton
from governance_desktop.domain.errors import ConflictError, ValidationError

#: Limits, in characters (code points). Titles, names and codes also fit their columns.
TITLE_MAX = 300
BODY_MAX = 1_000_000
COMMENT_MAX = 10_000
SEARCH_MAX = 200

#: Zero-width characters and bidirectional controls: invisible, or they reorder what is shown.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Lone surrogates: what Python makes of bytes that are not UTF-8 (e.g. a command-line argument
#: typed in another encoding); no database can store them.
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI)) + "]")


def check_text(value: str, field: str, limit: int) -> str:
    """``value`` if it holds no NUL and at most ``limit`` characters; else one clear error."""
    if "\x00" in value:
        raise ValidationError("contains a NUL character (\\x00), which cannot be stored", field)
    if _SURROGATE.search(value):
        raise ValidationError("is not valid UTF-8 text (check the terminal's encoding)", field)
    if len(value) > limit:
        raise ValidationError(f"longer than {limit:,} characters ({len(value):,})", field)
    return value


def storable(text: str, limit: int | None = None) -> str:
    """Text made from stored values (a rendered task title): NUL, which rows written before it
    was refused may hold, becomes U+FFFD, and the text is cut to ``limit`` (its column)."""
    text = text.replace("\x00", "\ufffd")
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def check_name(value: str, field: str, limit: int) -> str:
    """``value`` in NFC if it is a name fit to pick between: printable, nothing invisible."""
    name = unicodedata.normalize("NFC", value)
    check_text(name, field, limit)
    for char in name:
        if char in ZERO_WIDTH:
            problem = "a zero-width character"
        elif char in BIDI:
            problem = "a bidirectional control character"
        elif not char.isprintable():
            problem = "a character that is not printable"
        else:
            continue
        raise ValidationError(f"{short_repr(name)} contains {problem} (U+{ord(char):04X})", field)
    return name


@functools.lru_cache(maxsize=65536)
def _keys(name: str) -> tuple[str, str, str]:
    folded = name.lower() if name.isascii() else unicodedata.normalize("NFC", name).casefold()
    return folded, skeleton(name), skeleton(folded)


def check_unique_name(field: str, name: str, existing: list[str]) -> None:
    """Refuse ``name`` if an existing name differs from it only in case or looks the same
    (equal Unicode TR39 skeletons, also after case folding). An exact match is the caller's."""
    folded, skel, folded_skel = _keys(name)
    for other in existing:
        if other == name:
            continue
        other_folded, other_skel, other_folded_skel = _keys(other)
        if other_folded == folded:
            raise ConflictError(
                f"{field} {name!r} is already taken by {other!r} (names are compared without case)"
            )
        if other_skel == skel or other_folded_skel == folded_skel:
            raise ConflictError(
                f"{field} {name!r} looks the same as the existing {other!r} "
                "(confusable characters, Unicode TR39)"
            )


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def terminal_safe(text: str) -> str:
    """``text`` with control characters, line breaks and bidi controls shown as ``\\x1b``,
    ``\\u202e``…: printed as is they could move the cursor, clear the screen or reorder a line."""
    return _UNSAFE.sub(_escape, text)

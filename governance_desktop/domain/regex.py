"""Linear-time regular expressions (RE2) for the ``matches`` condition: no catastrophic cases."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import re2

MAX_PATTERN_LENGTH = 500
MAX_SUBJECT_LENGTH = 1_000_000
_MAX_MEM = 4 << 20
_MAX_REASON = 120
# RE2 takes UTF-8; a lone surrogate in a field is searched as U+FFFD instead of crashing.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_MEM
    return options


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """Compile ``pattern`` with RE2 (cached); raise ``ValueError`` with RE2's reason if invalid."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(pattern, _options())
    except UnicodeEncodeError:
        raise ValueError("invalid pattern: contains a lone surrogate") from None
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"invalid pattern: {_one_line(str(reason))}") from None


def _one_line(reason: str) -> str:
    """RE2's reason echoes part of the pattern: escape what is not printable, keep it short."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in reason)
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def search(pattern: str, text: str) -> bool:
    """True if ``pattern`` occurs in the first 1 MB of ``text``; False if the pattern is bad."""
    try:
        compiled = compile_pattern(pattern)
    except ValueError:
        return False
    subject = _LONE_SURROGATE.sub("\ufffd", text[:MAX_SUBJECT_LENGTH])
    return compiled.search(subject) is not None

"""Printing results for people (aligned columns) and for scripts (`--json`).

Stored text is never printed raw: control and bidi characters are shown escaped
(`domain.text.terminal_safe`); JSON escapes them as \\uXXXX, so the data round-trips.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from governance_desktop.domain.text import BIDI
from governance_desktop.domain.text import terminal_safe as terminal_safe
from governance_desktop.services.dto import to_jsonable

# json.dumps escapes C0 controls only; DEL, C1, line separators and bidi controls too.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI)) + "]")


def json_text(value: Any) -> str:
    """``value`` as indented JSON with nothing in it that a terminal would act on."""
    return escape_json(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def escape_json(text: str) -> str:
    """JSON text with DEL, C1, line separators and bidi controls written as \\uXXXX (they can
    only occur inside its strings, so the data is unchanged)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(value: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    out.write(json_text(value) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return terminal_safe(json.dumps(to_jsonable(value), ensure_ascii=False))
    return terminal_safe(str(to_jsonable(value)))


def print_table(
    rows: Sequence[Any],
    columns: Sequence[str],
    out: TextIO | None = None,
    empty: str = "nothing to show",
) -> None:
    """Rows are dataclasses or dicts; columns name their fields."""
    out = out or sys.stdout
    if not rows:
        out.write(f"({empty})\n")
        return
    data = [[_cell(r[c] if isinstance(r, dict) else getattr(r, c)) for c in columns] for r in rows]
    widths = [min(60, max(len(c), *(len(row[i]) for row in data))) for i, c in enumerate(columns)]
    out.write(
        "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n"
    )
    for row in data:
        cells = [
            (v if len(v) <= w else v[: w - 1] + "…").ljust(w)
            for v, w in zip(row, widths, strict=True)
        ]
        out.write("  ".join(cells).rstrip() + "\n")


def print_record(record: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    data = to_jsonable(record)
    width = max(len(k) for k in data)
    for key, value in data.items():
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        out.write(f"{key.ljust(width)}  {_cell(value)}\n")


def say(text: str) -> None:
    """Print one line that may hold names or titles, control characters shown escaped."""
    print(terminal_safe(text))


def emit(args: argparse.Namespace, value: Any, columns: tuple[str, ...] = ()) -> None:
    """`value` as JSON (``--json``), a table (a list) or a record."""
    if getattr(args, "json", False):
        print_json(value)
    elif isinstance(value, list):
        print_table(value, columns)
    else:
        print_record(value)

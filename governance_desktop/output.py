"""Printing results for people (aligned columns) and for scripts (`--json`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from governance_desktop.services.dto import to_jsonable


def print_json(value: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    json.dump(to_jsonable(value), out, indent=2, ensure_ascii=False)
    out.write("\n")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    text = str(to_jsonable(value))
    return text.replace("\n", " ")


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

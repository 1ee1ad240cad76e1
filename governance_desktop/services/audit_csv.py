"""The audit export's file format: CSV cells a spreadsheet shows as text, never runs as a
formula (OWASP's CSV-injection guard), and the ``FILE.chain.txt`` beside it."""

from __future__ import annotations

from pathlib import Path

COLUMNS = (
    "id",
    "occurred_at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "details",
    "prev_hash",
    "hash",
)
#: A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"

RULE = (
    "# CSV cells: a cell whose stored value starts with = + - @ a tab, a carriage return or ' "
    "has one extra ' in front (OWASP's CSV-injection guard), so a spreadsheet shows it as "
    "text and never runs it. Remove exactly one leading ' from a cell that starts with ' to "
    "get the stored value; the hashes are computed over the stored values. "
    "Check the CSV against this file with: governance-desktop audit verify-export FILE\n"
)


def neutralise(value: str) -> str:
    """`value` as a CSV cell: one ``'`` in front if it could start a formula or starts with
    ``'`` itself (so `restore` gives back exactly the stored value)."""
    if value.startswith((*FORMULA_STARTS, QUOTE)):
        return QUOTE + value
    return value


def restore(cell: str) -> str:
    """The stored value of a cell written by `neutralise`."""
    return cell[1:] if cell.startswith(QUOTE) else cell


def ids_text(ids: tuple[int | None, int | None]) -> str:
    """The first and last event ids as ``FIRST-LAST`` (``none`` for an empty export): ids are
    not hashed, so the companion file pins them."""
    first, last = ids
    return "none" if first is None or last is None else f"{first}-{last}"


VIEW_RULE = (
    "# A filtered view: the rows are the events the filter on the 'view' line selected, not "
    "one unbroken chain; each row's hash covers its own content and prev_hash, and "
    "'head' is the last row's hash. 'verified' is the whole trail's verdict at export.\n"
)


def chain_text(
    events: int,
    head: str,
    verified: bool,
    first_bad_id: int | None,
    ids: tuple[int | None, int | None],
    view: str | None = None,
) -> str:
    """The ``FILE.chain.txt`` beside an export: its length, ids, head hash, verdict, rule
    (and, for the audit page's filtered view, the filter and what that means)."""
    bad = f"first_bad_event {first_bad_id}\n" if first_bad_id is not None else ""
    seen = f"view {view}\n" if view is not None else ""
    rule = RULE + (VIEW_RULE if view is not None else "")
    return (
        f"events {events}\nids {ids_text(ids)}\nhead {head}\nverified {verified}\n{bad}{seen}{rule}"
    )


def chain_path(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.name + ".chain.txt")


def parse_chain(text: str) -> dict[str, str]:
    """The ``key value`` lines of a ``FILE.chain.txt`` (comments skipped)."""
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        key, value = line.split(" ", 1)
        values[key] = value.strip()
    return values

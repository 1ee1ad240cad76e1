"""The audit page's details pane: every field of the selected event, its details as indented
JSON, the hash link (prev hash and hash) and, for ``signature.applied``, the signature's
manifestation (21 CFR 11.50: meaning, printed name, date and time)."""

from __future__ import annotations

import html
import json

from PySide6.QtWidgets import QTextBrowser

from governance_desktop.services.dto import AuditEventInfo
from governance_desktop.ui.widgets import named

EMPTY = "Select an event to see all of it here."


def details_html(event: AuditEventInfo) -> str:
    """The pane's text for ``event`` (every value escaped)."""
    local = event.occurred_at.astimezone()
    rows = [
        ("Event", str(event.id)),
        ("When", f"{local.isoformat(sep=' ', timespec='seconds')} ({local.tzname()})"),
        ("When (UTC)", event.occurred_at.isoformat(sep=" ", timespec="microseconds")),
        ("Actor", event.actor),
        ("Action", event.action),
        ("Entity", f"{event.entity_type} {event.entity_id}"),
    ]
    manifestation = event.details.get("manifestation")
    if event.action == "signature.applied" and isinstance(manifestation, str):
        rows.insert(1, ("Signature", manifestation))
    table = "".join(
        f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    pretty = json.dumps(event.details, indent=2, ensure_ascii=False, sort_keys=True)
    hashes = (
        f"<p><b>Previous hash</b><br><code>{html.escape(event.prev_hash)}</code></p>"
        f"<p><b>Hash</b><br><code>{html.escape(event.hash)}</code></p>"
    )
    details = f"<pre style='white-space: pre-wrap'>{html.escape(pretty)}</pre>"
    return f"<table>{table}</table><p><b>Details</b></p>{details}{hashes}"


class EventDetails(QTextBrowser):
    """Read-only, selectable text of one event (``show_event(None)``: the hint)."""

    def __init__(self) -> None:
        super().__init__()
        named(self, "auditDetailsPane")
        self.setOpenLinks(False)
        self.shown: AuditEventInfo | None = None
        self.show_event(None)

    def show_event(self, event: AuditEventInfo | None) -> None:
        self.shown = event
        if event is None:
            self.setPlainText(EMPTY)
        else:
            self.setHtml(details_html(event))

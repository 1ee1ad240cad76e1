"""Short texts the job monitor shows: counts per state and rejected queue messages."""

from __future__ import annotations

from html import escape

from governance_desktop.domain.enums import JobState
from governance_desktop.jobs.rejections import Rejections
from governance_desktop.ui.pages.jobs.model import STATE_COLOURS, STATE_NAMES

ALWAYS_SHOWN = (JobState.QUEUED, JobState.RUNNING, JobState.FAILED)


def counts_html(counts: dict[str, int]) -> str:
    """A coloured dot, the state and its count; empty states other than the main three
    are left out so the line stays short."""
    return " &nbsp; ".join(
        f'<span style="color:{STATE_COLOURS[state]}">●</span>&nbsp;{escape(name)}&nbsp;'
        f"<b>{counts.get(state, 0):,}</b>"
        for state, name in STATE_NAMES.items()
        if counts.get(state, 0) or state in ALWAYS_SHOWN
    )


def rejections_text(rejections: Rejections | None) -> tuple[str, str]:
    """(label, tooltip) for queue rows that failed the serializer's integrity check."""
    if rejections is None:
        return (
            "Rejected queue messages: not known here",
            "The worker runs in another process; its log lists rejected messages.",
        )
    count = rejections.count
    if not count:
        return "Rejected queue messages: 0", "No queue message failed its integrity check."
    recent = rejections.recent()
    latest = recent[-1].reason if recent else ""
    tooltip = "Queue rows that failed the integrity check and were not run:\n" + "\n".join(
        f"{r.at.astimezone():%H:%M:%S}  {r.reason}" for r in recent[-10:]
    )
    return f"⚠ Rejected queue messages: {count} — latest: {latest}", tooltip

"""The evidence record as the rich text (Qt's HTML subset) the PDF is laid out from: a title
block, numbered sections with headings, key-value blocks and tables. Every text people typed is
escaped; hashes are printed whole, in a monospace font, never wrapped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from governance_desktop.domain.diff import Op, Segment
from governance_desktop.services.dto import ApprovalInfo, SignatureInfo
from governance_desktop.services.evidence import (
    AuditRecord,
    Evidence,
    ExecutionEvidence,
    VersionEvidence,
    when,
)

MONO = "DejaVu Sans Mono, Courier New, monospace"
STYLE = f"""
body {{ font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 9pt; color: #111; }}
h1 {{ font-size: 20pt; font-weight: 600; margin: 0; }}
h2 {{ font-size: 13pt; font-weight: 600; margin-top: 16px; margin-bottom: 4px;
      color: #1d3557; }}
h3 {{ font-size: 10pt; font-weight: 600; margin-top: 10px; margin-bottom: 3px; }}
p {{ margin-top: 2px; margin-bottom: 2px; }}
td, th {{ vertical-align: top; }}
th {{ background-color: #e8edf3; font-weight: 600; text-align: left; }}
.k {{ color: #444; }}
.hash {{ font-family: {MONO}; font-size: 7.5pt; }}
.note {{ color: #555; font-size: 8pt; }}
.sig {{ font-weight: 600; }}
.del {{ background-color: #fbd3d3; text-decoration: line-through; }}
.ins {{ background-color: #cdeccf; text-decoration: underline; }}
.text {{ white-space: pre-wrap; }}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _hash(value: str | None) -> str:
    return f'<span class="hash">{_e(value)}</span>' if value else "—"


def _kv(rows: Iterable[tuple[str, str]], width: int = 28) -> str:
    """A two-column block of labels and (already escaped) values."""
    cells = "".join(
        f'<tr><td width="{width}%" class="k">{_e(label)}</td><td>{value}</td></tr>'
        for label, value in rows
    )
    return f'<table width="100%" cellspacing="0" cellpadding="3" border="0">{cells}</table>'


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[int]) -> str:
    """A ruled table; ``rows`` hold escaped cells."""
    head = "".join(f'<th width="{w}%">{_e(h)}</th>' for h, w in zip(header, widths, strict=True))
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        '<table width="100%" cellspacing="0" cellpadding="3" border="1" '
        f'style="border-color: #9aa5b1; border-style: solid;"><tr>{head}</tr>{body}</table>'
    )


def _signature(signature: SignatureInfo) -> str:
    reason = f" — reason: {_e(signature.reason)}" if signature.reason else ""
    return (
        f'<span class="sig">{_e(signature.manifestation)}</span>{reason}<br/>'
        f'<span class="note">signer {_e(signature.signer)}, signature {signature.id}, '
        f"signed content </span>{_hash(signature.content_hash)}"
    )


def _title_block(ev: Evidence) -> str:
    policy, chain = ev.policy, ev.chain
    verdict = (
        "intact (every event's hash and link checked)"
        if chain.ok
        else f'<b style="color:#a00">BROKEN: {_e(chain.problem)}</b>'
    )
    counts = (
        f"{_n(len(ev.versions), 'version')}, {_n(len(ev.approvals), 'approval request')}, "
        f"{_n(len(ev.executions), 'workflow execution')}, {_n(len(ev.audit), 'audit event')}"
    )
    facts = _kv(
        [
            ("Exported at", _e(when(ev.exported_at))),
            ("Exported by", f"{_e(ev.exported_by_name)} ({_e(ev.exported_by)})"),
            ("Policy status", _e(policy.status)),
            ("Audit chain head at export", _hash(chain.head_hash)),
            ("Events in the audit chain", _e(chain.events)),
            ("Audit chain verification", verdict),
            ("Contents", counts),
        ]
    )
    return (
        '<table width="100%" cellspacing="0" cellpadding="10" border="1" '
        'style="border-color: #1d3557; border-style: solid;" bgcolor="#f3f6fa"><tr><td>'
        '<p class="note">GOVERNANCE DESKTOP · EVIDENCE RECORD</p>'
        f"<h1>{_e(policy.code)} — {_e(policy.title)}</h1>"
        '<p class="note">The policy, its versions, approvals with their electronic signatures, '
        "workflow executions and audit events, as recorded in the register at the time of "
        "export. All times are UTC.</p>" + facts + "</td></tr></table>"
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _policy(ev: Evidence) -> str:
    p = ev.policy
    return "<h2>1. Policy</h2>" + _kv(
        [
            ("Code", _e(p.code)),
            ("Title", _e(p.title)),
            ("Status", _e(p.status)),
            ("Owner", _e(p.owner or "—")),
            ("Effective version", _e(p.effective_version or "none published")),
            ("Working revision", _e(p.version if p.version > (p.effective_version or 0) else "—")),
            ("Review interval", f"{p.review_interval_days} days"),
            ("Next review", _e(p.next_review_date or "—")),
            ("Created", f"{_e(when(p.created_at))} by {_e(p.created_by)}"),
            ("Last changed", f"{_e(when(p.updated_at))} by {_e(p.updated_by)}"),
        ]
    )


def _segments(segments: Sequence[Segment]) -> str:
    parts = []
    for s in segments:
        text = _e(s.text)
        if s.op is Op.DELETE:
            parts.append(f'<span class="del">{text}</span>')
        elif s.op is Op.INSERT:
            parts.append(f'<span class="ins">{text}</span>')
        else:
            parts.append(text)
    return f'<p class="text">{"".join(parts)}</p>'


def _version(v: VersionEvidence) -> str:
    info = v.info
    marks = [m for m, on in (("effective", info.is_effective), ("working", info.is_working)) if on]
    rows = [
        ("Content hash", _hash(info.content_hash)),
        ("Created", f"{_e(when(info.created_at))} by {_e(info.created_by)}"),
        ("Approved", _e(when(info.approved_at) or "—")),
        ("Published", _e(when(info.published_at) or "—")),
        (
            "Signatures",
            "<br/>".join(_signature(s) for s in info.signatures) or "none",
        ),
    ]
    title = f"<h3>Version {info.number}{' (' + ', '.join(marks) + ')' if marks else ''}</h3>"
    previous = v.diff.from_version
    if previous is None:
        changes = '<p class="k">Text of the first version:</p>' + _segments(
            [Segment(Op.EQUAL, v.body)]
        )
    else:
        fields = [
            f"{_e(f.field.replace('_', ' '))}: <span class='del'>{_e(f.old)}</span> → "
            f"<span class='ins'>{_e(f.new)}</span>"
            for f in v.diff.fields
            if f.changed
        ]
        body_changed = any(s.op is not Op.EQUAL for s in v.diff.body)
        changes = (
            f'<p class="k">Changes from version {previous.number} '
            f"(struck through: deleted; underlined: inserted):</p>"
            + ("<p>" + "<br/>".join(fields) + "</p>" if fields else "")
            + (_segments(v.diff.body) if body_changed else "<p>The text is unchanged.</p>")
        )
    return title + _kv(rows) + changes


def _approval(a: ApprovalInfo) -> str:
    rows = [
        ("Approver", _e(a.approver)),
        ("Status", _e(a.status)),
        ("Workflow", f"{_e(a.workflow)}, execution {a.execution_id}, step {a.step_index + 1}"),
        ("Version asked about", _e(a.policy_version or "—")),
        ("Pinned content hash", _hash(a.content_hash)),
        ("Requested", _e(when(a.requested_at))),
        ("Answered", f"{_e(when(a.responded_at) or '—')}"
         + (f" by {_e(a.responded_by)}" if a.responded_by else "")),
        ("Comment", _e(a.comment or "—")),
    ]  # fmt: skip
    if a.on_behalf_reason:
        rows.append(("On behalf of the approver", _e(a.on_behalf_reason)))
    if a.delegated_from:
        rows.append(("Delegated from", _e(a.delegated_from)))
    sign = _signature(a.signature) if a.signature else "no signature (not answered by a person)"
    rows.append(("Electronic signature", sign))
    return f"<h3>Approval request {a.id}</h3>" + _kv(rows)


def _execution(x: ExecutionEvidence) -> str:
    e = x.execution
    head = _kv(
        [
            ("Workflow", f"{_e(e.workflow)} (version {e.workflow_version})"),
            ("Status", _e(e.status) + (f" — {_e(e.error)}" if e.error else "")),
            ("Trigger", f"{_e(e.trigger)}, started by {_e(e.started_by)}"),
            ("Created", _e(when(e.created_at))),
            ("Started", _e(when(e.started_at) or "—")),
            ("Finished", _e(when(e.finished_at) or "—")),
        ]
    )
    rows = [
        (
            str(s.step.step_index + 1),
            _e(s.step.action_type),
            _e(s.step.status),
            _e(when(s.started_at) or "—"),
            _e(when(s.finished_at) or "—"),
            _e(s.attempts if s.attempts is not None else "—"),
            _e(when(s.step.created_at)),
        )
        for s in x.steps
    ]
    steps = (
        _table(
            ("Step", "Action", "Status", "Job started", "Job finished", "Tries", "Recorded"),
            rows,
            (6, 17, 12, 19, 19, 7, 20),
        )
        if rows
        else "<p>No step has run yet.</p>"
    )
    return f"<h3>Execution {e.id}</h3>" + head + "<br/>" + steps


def _details(details: dict[str, Any]) -> str:
    return ", ".join(f"{_e(k)}={_e(v)}" for k, v in sorted(details.items()))


def _audit(rows: Sequence[AuditRecord]) -> str:
    body: list[tuple[str, ...]] = []
    for r in rows:
        body.append(
            (
                str(r.id),
                _e(when(r.occurred_at)),
                _e(r.actor),
                _e(r.action),
                f"{_e(r.entity_type)} {_e(r.entity_id)}",
            )
        )
        body.append(
            (
                "",
                f'<span class="note">{_details(r.details)}</span><br/>'
                f'<span class="k">prev </span>{_hash(r.prev_hash)}<br/>'
                f'<span class="k">hash </span>{_hash(r.hash)}',
            )
        )
    head = "".join(
        f'<th width="{w}%">{h}</th>'
        for h, w in (("#", 7), ("Time", 22), ("Actor", 14), ("Action", 30), ("Record", 27))
    )
    cells = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
        if len(row) > 2
        else f'<tr><td></td><td colspan="4">{row[1]}</td></tr>'
        for row in body
    )
    return (
        '<table width="100%" cellspacing="0" cellpadding="3" border="1" '
        f'style="border-color: #9aa5b1; border-style: solid;"><tr>{head}</tr>{cells}</table>'
    )


def evidence_html(ev: Evidence) -> str:
    """The whole evidence record as one rich-text document."""
    chain = ev.chain
    parts = [
        f"<html><head><style>{STYLE}</style></head><body>",
        _title_block(ev),
        _policy(ev),
        "<h2>2. Versions</h2>",
        *(_version(v) for v in ev.versions),
        "<h2>3. Approval requests and electronic signatures</h2>",
        *(_approval(a) for a in ev.approvals),
        "" if ev.approvals else "<p>No approval was requested.</p>",
        "<h2>4. Workflow executions</h2>",
        *(_execution(x) for x in ev.executions),
        "" if ev.executions else "<p>No workflow ran for this policy.</p>",
        "<h2>5. Audit events</h2>",
        '<p class="note">Events about this policy, its versions and its approvals, oldest '
        "first. Each event's hash covers its content and the previous event's hash, so the "
        "chain below links into the whole trail.</p>",
        _audit(ev.audit),
        "<h2>6. Audit chain at export</h2>",
        _kv(
            [
                ("Exported at", _e(when(ev.exported_at))),
                ("Events in the chain", _e(chain.events)),
                ("Head hash", _hash(chain.head_hash)),
                ("Verified", "yes" if chain.ok else f"NO: {_e(chain.problem)}"),
            ]
        ),
        '<p class="note">Check the trail against this head with '
        "<i>governance-desktop audit verify --anchor HEAD</i>: it must still be in an intact "
        "chain. The CSV bundle beside this PDF holds the same records and a manifest of "
        "SHA-256 hashes (this PDF's among them).</p>",
        "</body></html>",
    ]
    return "".join(parts)

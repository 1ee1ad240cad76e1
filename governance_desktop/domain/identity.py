"""Identity and electronic-signature rules that need no storage: password strength, lockout
limits, the meanings a signature can carry, and the exact bytes a signature covers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from governance_desktop.domain.errors import ValidationError

PASSWORD_MIN = 10
PASSWORD_MAX = 256
#: Failed sign-ins in a row that lock an account, and for how long.
LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)


class Meaning(StrEnum):
    """What a signer means by signing (21 CFR 11.50(a)(3)), as printed beside the signature."""

    APPROVED = "Approved"
    REJECTED = "Rejected"
    PUBLISHED = "Published"
    RETIRED = "Retired"
    WORKFLOW_PUBLISHED = "Published workflow version"
    RESTORED = "Restored from backup"
    DEACTIVATED = "Deactivated user"


class RecordKind(StrEnum):
    """The kinds of record a signature can be linked to."""

    APPROVAL = "approval"
    POLICY_VERSION = "policy_version"
    WORKFLOW_VERSION = "workflow_version"
    RESTORE = "restore"
    USER = "user"


def check_password(password: str, username: str) -> str:
    """``password`` if it meets the minimum strength rule; else one line naming the rule."""
    if len(password) < PASSWORD_MIN:
        raise ValidationError(f"a password needs at least {PASSWORD_MIN} characters", "password")
    if len(password) > PASSWORD_MAX:
        raise ValidationError(f"a password has at most {PASSWORD_MAX} characters", "password")
    if password != password.strip() or any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise ValidationError(
            "a password cannot start or end with a space or hold control characters", "password"
        )
    if username and username.lower() in password.lower():
        raise ValidationError("a password cannot contain the user name", "password")
    kinds = sum(
        (
            any(c.isalpha() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if kinds < 2 or len(set(password)) < 5:
        raise ValidationError(
            "a password needs letters and digits or symbols, and at least 5 different characters",
            "password",
        )
    return password


def utc_text(at: datetime) -> str:
    """``at`` as the ISO text a signature covers: UTC, seconds, with its zone."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


def signed_payload(
    kind: str,
    record_id: str,
    content_hash: str,
    meaning: str,
    reason: str | None,
    signer: str,
    printed_name: str,
    signed_at: datetime,
) -> bytes:
    """The exact bytes an Ed25519 signature covers: canonical JSON of what was signed."""
    content = {
        "kind": kind,
        "record": record_id,
        "content_hash": content_hash,
        "meaning": meaning,
        "reason": reason,
        "signer": signer,
        "printed_name": printed_name,
        "signed_at": utc_text(signed_at),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def manifestation(printed_name: str, signed_at: datetime, meaning: str) -> str:
    """A signature as shown and printed (21 CFR 11.50): meaning, printed name, date, time, zone."""
    when = signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{meaning} by {printed_name} on {when}"

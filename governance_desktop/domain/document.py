"""Document control: what a policy version contains and the hash that identifies it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

#: The fields of a policy that make up one version; editing any of them saves a new version.
VERSIONED_FIELDS = ("title", "body", "owner", "review_interval_days")


def content_hash(
    title: str,
    body: str,
    owner: str | None,
    review_interval_days: int,
    attachments: Sequence[Any] = (),
) -> str:
    """SHA-256 of the version's content as canonical JSON (sorted keys, no spaces, UTF-8):
    the same text has the same hash on every machine and in every later release."""
    content = {
        "title": title,
        "body": body,
        "owner": owner,
        "review_interval_days": review_interval_days,
        "attachments": list(attachments),
    }
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()

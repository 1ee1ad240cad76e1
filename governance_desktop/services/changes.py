"""What a write changed, as flags (like anki's OpChanges): the window passes them on to every
page, and each page reloads only for what it shows."""

from __future__ import annotations

import enum


class Changes(enum.Flag):
    NONE = 0
    POLICIES = enum.auto()
    WORKFLOWS = enum.auto()
    APPROVALS = enum.auto()
    TASKS = enum.auto()
    NOTIFICATIONS = enum.auto()
    JOBS = enum.auto()
    AUDIT = enum.auto()
    USERS = enum.auto()
    ALL = POLICIES | WORKFLOWS | APPROVALS | TASKS | NOTIFICATIONS | JOBS | AUDIT | USERS

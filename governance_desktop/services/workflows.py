"""Workflow definitions: import (validate, then store a new immutable version), export, toggle,
and the parsed definition of a stored version.

Workflows are rules: importing, replacing, enabling and disabling one needs an admin
(Permission.MANAGE_WORKFLOWS), and every change is audited with the definition hash in force
before and after it (``definition_hash``). A new version may name only active users, and its
approvers must hold a role that may answer approvals (``services.definition_check``).

Every write to a workflow row moves the workflows generation in its transaction (the trigger's
kept candidates are read at one generation: ``services.candidates``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.errors import ConflictError, NotFoundError, ValidationError
from governance_desktop.domain.identity import Meaning, RecordKind
from governance_desktop.domain.text import check_unique_name
from governance_desktop.domain.workflow.definition import (
    WorkflowDefinition,
    definition_json_schema,
    definition_to_json,
    parse_definition,
    parse_definition_json,
)
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.definition_check import Directory, user_problems
from governance_desktop.services.dto import ImportResult, WorkflowInfo, WorkflowVersionInfo
from governance_desktop.services.identity import Signer
from governance_desktop.services.signatures import require_signer, sign
from governance_desktop.store import generations
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import User, Workflow, WorkflowVersion
from governance_desktop.store.outfile import Protected, write_text
from governance_desktop.store.types import utcnow


@dataclass(frozen=True)
class DefinitionSource:
    """A definition to import and where it came from (a file name, for error messages)."""

    origin: str
    text: str | bytes | None = None
    data: Any = None


class SourceError(ValidationError):
    """A validation error tied to a source file: `<file>: <json path>: <what>`."""

    def __init__(self, origin: str, inner: ValidationError) -> None:
        self.origin = origin
        super().__init__(inner.message, inner.path)
        self.args = (f"{origin}: {inner}",)

    def __str__(self) -> str:
        return str(self.args[0])


def _stored(defn: WorkflowDefinition) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(definition_to_json(defn))
    return data


def definition_hash(definition: dict[str, Any], enabled: bool | None = None) -> str:
    """sha256 of the definition as canonical JSON (sorted keys); ``enabled`` (the workflow's
    state, when given) replaces the file's own flag: the hash of the rule in force."""
    data = dict(definition)
    if enabled is not None:
        data["enabled"] = enabled
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _directory(session: Session, names: set[str]) -> Directory:
    rows = session.execute(
        select(User.username, User.role, User.active).where(User.username.in_(names))
    ).all()
    return Directory(
        {name: role for name, role, active in rows if active},
        frozenset(name for name, _role, active in rows if not active),
    )


def _info(row: Workflow, definition: dict[str, Any]) -> WorkflowInfo:
    return WorkflowInfo(
        row.name,
        row.current_version,
        row.enabled,
        row.entity_type,
        row.trigger_type,
        str(definition.get("description", "")),
        row.updated_at,
        bool(definition.get("allow_self_approval", False)),
    )


def _mentioned(actions: list[Any]) -> Iterator[Any]:
    """Every value an action gives in a user field (checked against the directory)."""
    for action in actions:
        for key in ("user", "assignee", "escalate_to"):
            if action.get(key) is not None:
                yield action[key]
        yield from action.get("users") or ()
        yield from action.get("approvers") or ()


def require_workflow(session: Session, name: str) -> Workflow:
    row = session.scalar(select(Workflow).where(Workflow.name == name))
    if row is None:
        raise NotFoundError(f"unknown workflow '{name}'")
    return row


def current_definition(session: Session, row: Workflow) -> WorkflowVersion:
    version = session.scalar(
        select(WorkflowVersion).where(
            WorkflowVersion.workflow_id == row.id,
            WorkflowVersion.version == row.current_version,
        )
    )
    assert version is not None, f"workflow {row.name} lost its version {row.current_version}"
    return version


def version_definition(
    session: Session, cache: DatabaseCache, version_id: int
) -> WorkflowDefinition:
    """The parsed definition of a version, cached: versions are immutable once written."""
    definitions = cache.definitions
    cached = definitions.get(version_id)
    if cached is None:
        version = session.get(WorkflowVersion, version_id)
        assert version is not None, f"workflow version {version_id} is missing"
        cached = parse_definition(version.definition)
        if len(definitions) > 2048:
            definitions.clear()
        definitions[version_id] = cached
    return cached


class WorkflowLibrary:
    def __init__(self, db: Database, audit: AuditService) -> None:
        self._db = db
        self._audit = audit

    def validate(self, source: DefinitionSource) -> WorkflowDefinition:
        """Parse and check a definition against the schema and the user directory."""
        try:
            if source.text is not None:
                defn = parse_definition_json(source.text)
            else:
                defn = parse_definition(source.data)
            actions = _stored(defn)["actions"]
            names = {str(name) for name in _mentioned(actions)}
            with self._db.reading() as session:
                directory = _directory(session, names)
            problems = user_problems(actions, directory)
            if problems:
                raise ValidationError(problems[0].message, problems[0].path)
        except ValidationError as exc:
            raise SourceError(source.origin, exc) from None
        return defn

    @retry_conflicts
    def import_definitions(
        self, actor: str, sources: list[DefinitionSource], *, signer: Signer | None = None
    ) -> list[ImportResult]:
        """All or nothing: every source is validated before any is stored. Each new version
        is published under ``signer``'s signature (the actor, who just gave their password)."""
        signer = require_signer(signer, actor, "publishing a workflow version")
        definitions = [(source, self.validate(source)) for source in sources]
        seen: dict[str, str] = {}
        for source, defn in definitions:
            if defn.name in seen:
                raise SourceError(
                    source.origin,
                    ValidationError(
                        f"workflow {defn.name!r} is also defined in {seen[defn.name]}", "name"
                    ),
                )
            seen[defn.name] = source.origin
        with self._db.transaction() as session:
            require_permission(session, actor, Permission.MANAGE_WORKFLOWS)
            names = list(session.scalars(select(Workflow.name)))
            for source, defn in definitions:
                if defn.name not in names:  # a new workflow: its name must not pass for another
                    try:
                        check_unique_name("workflow name", defn.name, names)
                    except ConflictError as exc:
                        raise SourceError(
                            source.origin, ValidationError(str(exc), "name")
                        ) from None
                    names.append(defn.name)
            return [self._store(session, signer, defn) for _source, defn in definitions]

    def _store(self, session: Session, signer: Signer, defn: WorkflowDefinition) -> ImportResult:
        actor = signer.username
        data = _stored(defn)
        now = utcnow()
        row = session.scalar(select(Workflow).where(Workflow.name == defn.name))
        created = row is None
        before: str | None = None
        if row is None:
            row = Workflow(name=defn.name, current_version=0, created_at=now)
            session.add(row)
        else:
            current = current_definition(session, row).definition
            if current == data:
                return ImportResult(row.name, row.current_version, created=False, changed=False)
            before = definition_hash(current, row.enabled)
        row.entity_type = defn.entity_type.value
        row.trigger_type = defn.trigger.type
        row.trigger_to_status = getattr(defn.trigger, "to_status", None)
        row.enabled = defn.enabled
        row.current_version += 1
        row.updated_at = now
        generations.bump(session, generations.WORKFLOWS)
        session.flush()
        version = WorkflowVersion(
            workflow_id=row.id,
            version=row.current_version,
            definition=data,
            created_by=actor,
            created_at=now,
        )
        session.add(version)
        session.flush()
        after = definition_hash(data, row.enabled)
        sign(
            session,
            self._audit,
            signer,
            RecordKind.WORKFLOW_VERSION,
            version.id,
            after,
            f"{Meaning.WORKFLOW_PUBLISHED} ({row.name} v{row.current_version})",
        )
        self._audit.record(
            session,
            actor,
            "workflow.version_published",
            "workflow",
            row.name,
            {
                "version": row.current_version,
                "enabled": row.enabled,
                "before_hash": before,
                "after_hash": after,
            },
        )
        return ImportResult(row.name, row.current_version, created=created, changed=True)

    def export(self, name: str) -> str:
        """The current version as a file; `enabled` reflects the workflow's current state."""
        with self._db.reading() as session:
            row = require_workflow(session, name)
            data = dict(current_definition(session, row).definition)
        data["enabled"] = row.enabled
        return definition_to_json(parse_definition(data))

    def export_to(self, name: str, path: Path, protected: Protected, *, force: bool) -> None:
        """Write `export(name)` to `path` (store/outfile.py's rules: never into the data dir)."""
        write_text(path, protected, self.export(name), force=force)

    @retry_conflicts
    def set_enabled(self, actor: str, name: str, enabled: bool) -> WorkflowInfo:
        with self._db.transaction() as session:
            require_permission(session, actor, Permission.MANAGE_WORKFLOWS)
            row = require_workflow(session, name)
            if row.enabled != enabled:
                definition = current_definition(session, row).definition
                before = definition_hash(definition, row.enabled)
                row.enabled = enabled
                row.updated_at = utcnow()
                generations.bump(session, generations.WORKFLOWS)
                self._audit.record(
                    session,
                    actor,
                    "workflow.enabled" if enabled else "workflow.disabled",
                    "workflow",
                    name,
                    {
                        "version": row.current_version,
                        "before_hash": before,
                        "after_hash": definition_hash(definition, enabled),
                    },
                )
            return _info(row, current_definition(session, row).definition)

    def versions(self, name: str) -> list[WorkflowVersionInfo]:
        with self._db.reading() as session:
            row = require_workflow(session, name)
            versions = session.scalars(
                select(WorkflowVersion)
                .where(WorkflowVersion.workflow_id == row.id)
                .order_by(WorkflowVersion.version)
            )
            return [
                WorkflowVersionInfo(name, v.version, v.created_by, v.created_at, dict(v.definition))
                for v in versions
            ]

    @staticmethod
    def schema() -> dict[str, Any]:
        return definition_json_schema()

    def list(self) -> list[WorkflowInfo]:
        with self._db.reading() as session:
            rows = session.execute(
                select(Workflow, WorkflowVersion.definition)
                .join(
                    WorkflowVersion,
                    (WorkflowVersion.workflow_id == Workflow.id)
                    & (WorkflowVersion.version == Workflow.current_version),
                )
                .order_by(Workflow.name)
            )
            return [_info(wf, defn) for wf, defn in rows]

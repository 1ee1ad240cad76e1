"""What the About box says: this build's version, where its data lives, the database URL
without its password, the Python version, and each bundled library's licence as its installed
package metadata states it."""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from governance_desktop import __version__
from governance_desktop.store.db import redact_url

DISTRIBUTION = "governance-desktop"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class LibraryLicence:
    name: str
    version: str
    licence: str  # "not stated in its metadata" when the package says nothing


@dataclass(frozen=True)
class AboutFacts:
    version: str
    data_dir: str
    database_url: str
    python: str
    libraries: list[LibraryLicence]


def licence_of(dist: metadata.Distribution) -> str:
    """License-Expression, else License (its first line), else the licence classifiers."""
    meta = dist.metadata
    expression = meta["License-Expression"]
    if expression:
        return str(expression)
    text = (meta["License"] or "").strip()
    if text and len(text) <= 120 and "\n" not in text:
        return text
    classifiers = [
        c.rsplit("::", 1)[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return ", ".join(classifiers)
    if text:
        return text.splitlines()[0][:120]
    return "not stated in its metadata"


def bundled_libraries(root: str = DISTRIBUTION) -> list[LibraryLicence]:
    """The packages `root` needs at run time (extras left out), with their dependencies,
    sorted by name; packages not installed (e.g. in a bundle without metadata) are left out."""
    seen: dict[str, LibraryLicence] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if key != root:
            seen[key] = LibraryLicence(dist.metadata["Name"], dist.version, licence_of(dist))
        else:
            seen[key] = LibraryLicence(root, dist.version, "")
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            match = _NAME.match(requirement.strip())
            if match:
                todo.append(match.group(0))
    seen.pop(root, None)
    return sorted(seen.values(), key=lambda lib: lib.name.lower())


def about_facts(data_dir: Path, database_url: str) -> AboutFacts:
    """`database_url` is shown with its password replaced by ***."""
    return AboutFacts(
        version=__version__,
        data_dir=str(data_dir),
        database_url=redact_url(database_url),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        libraries=bundled_libraries(),
    )

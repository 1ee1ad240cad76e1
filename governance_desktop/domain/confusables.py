"""Unicode TR39 skeletons: two strings that look alike ("аlice" in Cyrillic, "alice") share one.

skeleton(X) = NFD(map(NFD(X))), where map replaces each character by its prototype from
Unicode's confusables.txt (resources/confusables.txt, version 13.0.0, kept unchanged under the
Unicode licence). No maintained Python package computes it: confusable-homoglyphs keeps only
unordered pairs of single characters, so the prototype (and "m" -> "rn") is lost.
"""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources


@functools.cache
def _prototypes() -> dict[int, str]:
    text = (resources.files("governance_desktop") / "resources" / "confusables.txt").read_text(
        encoding="utf-8-sig"
    )
    table: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 3:
            continue
        source = int(fields[0].strip(), 16)
        table[source] = "".join(chr(int(code, 16)) for code in fields[1].split())
    return table


@functools.lru_cache(maxsize=65536)
def skeleton(text: str) -> str:
    """The TR39 skeleton of ``text`` (equal skeletons: confusable strings)."""
    if text.isascii():  # NFD changes no ASCII text: one table look-up per character
        mapped = text.translate(_prototypes())
        return mapped if mapped.isascii() else unicodedata.normalize("NFD", mapped)
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", decomposed.translate(_prototypes()))

"""Compile the MSI from a Windows bundle folder: `python build_msi.py BUNDLE_DIR OUT.msi`.

Lists every file of the bundle with `wixl-heat` (msitools) into a component group, then runs
`wixl` on governance-desktop.wxs plus that list. On Linux this compiles (a structural check);
the real MSI is built on Windows from the real bundle (see packaging/README.md).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: build_msi.py BUNDLE_DIR OUT.msi\n")
        return 2
    bundle, target = Path(argv[1]).resolve(), Path(argv[2]).resolve()
    sys.path.insert(0, str(HERE.parent.parent))
    from governance_desktop import __version__

    files = sorted(str(p) for p in bundle.rglob("*") if p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        fragment = Path(tmp) / "files.wxs"
        heat = subprocess.run(
            [
                "wixl-heat",
                "--prefix",
                f"{bundle}/",
                "--directory-ref",
                "INSTALLDIR",
                "--component-group",
                "BundleFiles",
                "--var",
                "var.BundleDir",
            ],
            input="\n".join(files) + "\n",
            capture_output=True,
            text=True,
            check=True,
        )
        fragment.write_text(heat.stdout)
        subprocess.run(
            [
                "wixl",
                "-D",
                f"BundleDir={bundle.name}",  # wixl wants source paths relative to its cwd
                "-D",
                f"Version={__version__}",
                "-o",
                str(target),
                str(HERE / "governance-desktop.wxs"),
                str(fragment),
            ],
            cwd=bundle.parent,
            check=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

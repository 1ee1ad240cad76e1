"""The command line: `governance-desktop [--data-dir DIR] [--actor USER] COMMAND …`.

One module per command group declares each command once, its arguments beside its handler
(`declare.py`); `entry.py` builds the parser from them and runs the one named. User errors
print one line `error: …` on stderr and exit 1; usage errors exit 2.
"""

from governance_desktop.cli.entry import build_parser, main, run

__all__ = ["build_parser", "main", "run"]

"""The `patent-desk` program: the command line, and with no subcommand the desktop window
(after desktop.system_check has made sure this system can show one)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from core.cli import main as cli_main
    from desktop.system_check import launch

    return cli_main(argv, open_window=launch)


if __name__ == "__main__":
    sys.exit(main())

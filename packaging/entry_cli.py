"""The bundle's `patent-desk` executable: the same command line as the pip install (with no
subcommand it opens the desktop window)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch/tokenizers may start helper processes
    from core.cli import main

    sys.exit(main())

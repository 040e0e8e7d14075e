"""The bundle's windowed executable (Windows/macOS start it without a console window)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from core.cli import main

    sys.exit(main([]))

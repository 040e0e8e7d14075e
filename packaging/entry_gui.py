"""The bundle's windowed executable (Windows/macOS start it without a console window)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from core.models.llm_worker import FROZEN_FLAG

    if sys.argv[1:2] == [FROZEN_FLAG]:  # the LLM's child process (core.models.llm)
        from core.models.llm_worker import main as worker

        sys.exit(worker())
    from desktop.launcher import main

    sys.exit(main([]))

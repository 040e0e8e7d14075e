"""The bundle's `patent-desk` executable: the same command line as the pip install (with no
subcommand it opens the desktop window)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch/tokenizers may start helper processes
    from core.models.llm_worker import FROZEN_FLAG

    if sys.argv[1:2] == [FROZEN_FLAG]:  # the LLM's child process (core.models.llm)
        from core.models.llm_worker import main as worker

        sys.exit(worker())
    from desktop.launcher import main

    sys.exit(main())

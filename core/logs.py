"""The log file: what Patent Desk did, for support, without the clients' confidential text.

Logs go to `<data home>/logs/patent-desk.log` (rotated: 4 files of 2 MB). By default they
record ids, counts, lengths and file names, never the text of a question, an answer or an
item; verbose logging (for debugging with a colleague) adds the texts. It is switched on for
every workspace by `set_verbose(True)` (saved in `<data home>/settings.json` by
core.shared_settings) or for one run by the environment variable PATENT_DESK_VERBOSE_LOGS=1.
Logging never stops the app: a read-only or full disk only loses log lines.
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

from core import paths
from core.errors import PatentDeskError
from core.shared_settings import set_shared_setting, shared_setting

LOGGER = "patent_desk"
VERBOSE_ENV = "PATENT_DESK_VERBOSE_LOGS"
LOG_FILE = "patent-desk.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 3
_state = {"verbose": False}


class _QuietFileHandler(RotatingFileHandler):
    """A full or read-only disk must not print tracebacks into the user's terminal."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass


def log() -> logging.Logger:
    return logging.getLogger(LOGGER)


def verbose_setting() -> bool:
    """Verbose logging as chosen: the environment variable wins, then the saved setting."""
    env = os.environ.get(VERBOSE_ENV)
    if env is not None and env.strip():
        return env.strip().lower() in ("1", "true", "yes", "on")
    return bool(shared_setting("verbose_logs"))


def set_verbose(on: bool) -> None:
    """Save the choice for every workspace and apply it now."""
    set_shared_setting("verbose_logs", bool(on))
    _state["verbose"] = bool(on)


def verbose() -> bool:
    """True when texts may be logged (set by setup_logging)."""
    return _state["verbose"]


def text(value: str) -> str:
    """A text as the log may show it: its length only, unless logging is verbose."""
    return repr(value) if _state["verbose"] else f"<{len(value)} chars>"


def setup_logging(verbose: bool | None = None) -> Path:
    """Log to a rotating file in the data home's logs folder; returns that folder.

    verbose None: from PATENT_DESK_VERBOSE_LOGS or the saved setting. Calling it again
    replaces the handler (a test or the app may call it more than once)."""
    _state["verbose"] = verbose_setting() if verbose is None else bool(verbose)
    logger = log()
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())  # no stderr fallback when there is no file
    for old in [h for h in logger.handlers if isinstance(h, _QuietFileHandler)]:
        logger.removeHandler(old)
        old.close()
    try:
        folder = paths.data_home() / "logs"
    except PatentDeskError:
        return Path(os.environ.get(paths.HOME_ENV, ".")) / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = _QuietFileHandler(folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                    encoding="utf-8", delay=True)
    except OSError:
        return folder  # a read-only data home: no log, the app still works
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.info("logging started (pid %d, verbose %s)", os.getpid(), _state["verbose"])
    return folder

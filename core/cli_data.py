"""The CLI's data-safety commands (backup, restore, export) and its last line of defence:
every storage failure (busy, disk full, read-only, damaged) ends as one line, never a
traceback."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from core import paths
from core.errors import PatentDeskError, WorkspaceError
from core.logs import log
from core.store.failures import explain, is_storage_error

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_MESSAGE = 800


def one_line(message: object) -> str:
    """A message as one printable line: control characters escaped, length capped."""
    text = _CONTROL_RE.sub(lambda m: repr(m.group())[1:-1], str(message))
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def storage_message(exc: BaseException, args: argparse.Namespace) -> str | None:
    """The one-line wording of a storage failure, or None for anything else (a bug)."""
    if not is_storage_error(exc):
        return None
    try:
        path = paths.workspace_path(getattr(args, "workspace", "default"))
    except PatentDeskError:
        path = Path(".")
    return one_line(explain(exc, path))


def _require_workspace(name: str) -> Path:
    path = paths.workspace_path(name)
    if not path.exists():
        raise WorkspaceError(f"there is no workspace '{name}'; see: patent-desk workspaces")
    return path


def cmd_backup(args: argparse.Namespace) -> int:
    from core.store.backup import backup_workspace

    target, items = backup_workspace(args.workspace, args.to)
    log().info("backup of workspace %s: %d items to %s", args.workspace, items, target)
    if args.json:
        print(json.dumps({"workspace": args.workspace, "file": str(target), "items": items}))
    else:
        print(f"backed up workspace '{args.workspace}' ({items} items) to {target}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from core.store.backup import restore_workspace

    items, saved = restore_workspace(args.file, args.workspace)
    log().info("restore of workspace %s from %s: %d items (replaced state saved to %s)",
               args.workspace, args.file, items, saved)
    if args.json:
        print(json.dumps({"workspace": args.workspace, "items": items,
                          "replaced_saved_to": str(saved) if saved else None}))
        return 0
    print(f"restored workspace '{args.workspace}' from {args.file} ({items} items)")
    if saved:
        print(f"the state it replaced was saved to {saved}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from core.export import export_items
    from core.store import Workspace

    _require_workspace(args.workspace)
    with Workspace.open(args.workspace) as ws:
        count = export_items(ws, args.file)
    log().info("export of workspace %s: %d items to %s", args.workspace, count, args.file)
    if args.json:
        print(json.dumps({"workspace": args.workspace, "file": args.file, "items": count}))
    else:
        print(f"exported {count} items of workspace '{args.workspace}' to {args.file}")
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common],
                       help="copy a workspace to a backup file (safe while it is in use)")
    p.add_argument("--to", help="backup file or folder (default: the data folder's backups/)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", parents=[common],
                       help="replace a workspace with a backup (the current state is saved)")
    p.add_argument("file", help="a file made by `patent-desk backup`")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("export", parents=[common],
                       help="write the items to a .csv or .xlsx file (safe to open in Excel)")
    p.add_argument("file", help="FILE.csv or FILE.xlsx")
    p.set_defaults(func=cmd_export)


def report_error(exc: BaseException) -> None:
    message = one_line(exc)
    log().warning("error: %s", message)
    print(f"error: {message}", file=sys.stderr)


def fail_storage(exc: BaseException, args: argparse.Namespace) -> bool:
    """Print a storage failure as one line; False when `exc` is not one (re-raise it)."""
    message = storage_message(exc, args)
    if message is None:
        return False
    report_error(WorkspaceError(message))
    return True

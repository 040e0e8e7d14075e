"""The CLI's data-safety commands (backup, restore, export) and its last line of defence:
every storage failure (busy, disk full, read-only, damaged) ends as one line, never a
traceback."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core import paths
from core.errors import PatentDeskError, WorkspaceError
from core.logs import log
from core.store.failures import explain, is_storage_error

if TYPE_CHECKING:
    from core.desk import Desk

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


def _require_workspace(name: str, seeds_demo: bool = False) -> None:
    """`seeds_demo`: the command opens a Desk, which creates the demo workspace from the
    bundled files on first use, as the window does."""
    from core.workspaces import workspace_exists

    if seeds_demo and name == paths.DEMO_WORKSPACE:
        return
    if not workspace_exists(name):
        raise WorkspaceError(f"there is no workspace '{name}'; see: patent-desk workspaces")


def _sqlite_only(what: str) -> None:
    from core.store.address import store_url

    if store_url():
        raise WorkspaceError(f"{what} copies SQLite workspace files; a shared PostgreSQL store "
                             "is backed up by its server (pg_dump), or copied to a file with "
                             "patent-desk migrate-store --to sqlite")


def cmd_backup(args: argparse.Namespace) -> int:
    from core.store.backup import backup_workspace

    _sqlite_only("backup")
    target, items = backup_workspace(args.workspace, args.to)
    log().info("backup of workspace %s: %d items to %s", args.workspace, items, target)
    if args.json:
        print(json.dumps({"workspace": args.workspace, "file": str(target), "items": items}))
    else:
        print(f"backed up workspace '{args.workspace}' ({items} items) to {target}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from core.store.transfer import restore_workspace

    _sqlite_only("restore")
    items, saved, not_taken = restore_workspace(args.file, args.workspace)
    log().info("restore of workspace %s from %s: %d items (replaced state saved to %s; "
               "settings not taken: %s)", args.workspace, args.file, items, saved, not_taken)
    if args.json:
        print(json.dumps({"workspace": args.workspace, "items": items,
                          "replaced_saved_to": str(saved) if saved else None,
                          "settings_not_taken": not_taken}))
        return 0
    print(f"restored workspace '{args.workspace}' from {args.file} ({items} items)")
    if saved:
        print(f"the state it replaced was saved to {saved}")
    if not_taken:
        print(f"this computer's settings were kept: the backup's {', '.join(not_taken)} "
              "were not taken")
    print(f"semantic search is rebuilt on first use (or now: patent-desk embed "
          f"--workspace {args.workspace})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from core.export import export_items
    from core.store import open_workspace

    _require_workspace(args.workspace)
    with open_workspace(args.workspace) as ws:
        count = export_items(ws, args.file)
    log().info("export of workspace %s: %d items to %s", args.workspace, count, args.file)
    if args.json:
        print(json.dumps({"workspace": args.workspace, "file": args.file, "items": count}))
    else:
        print(f"exported {count} items of workspace '{args.workspace}' to {args.file}")
    return 0


def cmd_migrate_store(args: argparse.Namespace) -> int:
    from core.store import SQLITE, exists
    from core.store import open as open_store
    from core.store.address import safe_url, store_url
    from core.store.transfer import copy_workspace

    source_store = (store_url() or SQLITE) if args.source is None else _store_arg(args.source)
    target_store = _store_arg(args.to)
    if source_store == target_store:
        raise WorkspaceError("--to names the store the workspace is already in; name the "
                             "other one (sqlite, or a postgresql:// address)")
    if not exists(args.workspace, source_store):  # opening would create it
        where = "this computer" if source_store == SQLITE else safe_url(source_store)
        raise WorkspaceError(f"there is no workspace '{args.workspace}' in {where}; see: "
                             "patent-desk workspaces")
    with open_store(args.workspace, source_store) as source:
        if not source.count_items():
            raise WorkspaceError(f"workspace '{args.workspace}' in {source.location} is "
                                 "empty; nothing to copy")
        with open_store(args.workspace, target_store) as target:
            items = copy_workspace(source, target, _progress)
            where = target.location
    log().info("migrate-store of workspace %s: %d items to %s", args.workspace, items,
               SQLITE if target_store == SQLITE else safe_url(target_store))
    if args.json:
        print(json.dumps({"workspace": args.workspace, "items": items, "to": where}))
    else:
        print(f"copied workspace '{args.workspace}' ({items} items) to {where}")
    return 0


def _store_arg(value: str) -> str:
    """A --to/--from value: 'sqlite' (this computer's files) or a postgresql:// address."""
    from core.store import SQLITE
    from core.store.address import check_url

    return SQLITE if value == SQLITE else check_url(value, "or name 'sqlite'")


def _progress(stage: str, done: int, total: int) -> None:
    print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)


def cmd_embed(args: argparse.Namespace) -> int:
    """Finish the vector fill (an import embeds what it added; a killed or cancelled one
    leaves the rest to this, or to the next import)."""
    from core.desk import Desk, require_items
    from core.progress import ProgressPrinter

    _require_workspace(args.workspace, seeds_demo=True)
    with Desk(args.workspace, ProgressPrinter()) as desk:
        require_items(desk)
        if args.re_embed and desk.ws.vector_dim() is not None and desk.semantic_problem():
            _confirm_re_embed(desk, args.yes)
        filled = desk.fill_vectors(replace=args.re_embed)
        problem = desk.semantic_problem()
        if problem:
            raise PatentDeskError(problem)
        state = desk.semantic_state()
        if args.json:
            print(json.dumps({"embedded": filled, "done": state.done, "total": state.total}))
        else:
            print(f"{filled} entries embedded; {state.describe()} "
                  f"({state.done} of {state.total} entries in workspace '{desk.ws.name}')")
    return 0


def cmd_prepare_queries(args: argparse.Namespace) -> int:
    """Write the training queries ahead of `tune` (the window does this after an import)."""
    from core.desk import Desk
    from core.progress import ProgressPrinter

    _require_workspace(args.workspace, seeds_demo=True)
    with Desk(args.workspace, ProgressPrinter()) as desk:
        report = desk.prepare_queries(args.llm_budget or None)  # 0: no limit
    if args.json:
        print(json.dumps({"added": report.added, "stored": report.stored,
                          "llm_items": report.llm_items, "llm_note": report.llm_note,
                          "llm_skipped": report.llm_skipped}, ensure_ascii=False))
        return 0
    print(f"{report.added} queries added; stored per angle: "
          f"{json.dumps(report.stored, ensure_ascii=False)}")
    for note in (report.llm_skipped, report.llm_note):
        if note:
            print(f"note: {note}")
    return 0


def confirm_re_embed(desk: Desk, yes: bool, command: str, why: str) -> None:
    """Replacing a workspace's vectors is the user's explicit, confirmed choice where they
    are not this seat's alone: on a shared store every seat then needs this encoder. Asks
    y/N on a terminal; elsewhere refuses in one line naming `command` with --yes."""
    ws = desk.ws
    if yes:
        return
    shared = (", and every seat of the shared store will need that encoder"
              if ws.path is None else "")
    what = (f"workspace '{ws.name}' {why} all {ws.count_items()} entries again with this "
            f"computer's encoder{shared}")
    if sys.stdin.isatty():
        if input(f"{what}. Re-embed? [y/N] ").strip().lower() in ("y", "yes"):
            return
        raise PatentDeskError("nothing was re-embedded")
    raise PatentDeskError(f"{what}; add --yes to confirm: patent-desk {command} --yes "
                          f"--workspace {ws.name}")


def _confirm_re_embed(desk: Desk, yes: bool) -> None:
    made_by = desk.ws.vector_encoder() or "another encoder"
    confirm_re_embed(desk, yes, "embed --re-embed",
                     f"holds vectors made by {made_by}; --re-embed embeds")


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("embed", parents=[common],
                       help="finish semantic search: embed the entries that have no vector yet")
    p.add_argument("--re-embed", action="store_true",
                   help="vectors made by another encoder (another seat's): embed every entry "
                   "again with this computer's")
    p.add_argument("--yes", action="store_true",
                   help="with --re-embed: replace another encoder's vectors without asking")
    p.set_defaults(func=cmd_embed)

    p = sub.add_parser("prepare-queries", parents=[common],
                       help="write the training queries the next `tune` uses (rule-based "
                       "angles, and LLM angles within a time budget), without training")
    p.add_argument("--llm-budget", type=float, default=150.0, metavar="SECONDS",
                   help="LLM time for this run (default 150; 0: every item); the next run "
                   "goes on where this one stopped")
    p.set_defaults(func=cmd_prepare_queries)

    p = sub.add_parser("migrate-store", parents=[common],
                       help="copy a workspace between the SQLite files and a PostgreSQL store")
    p.add_argument("--to", required=True,
                   help="'sqlite' (this computer's files) or postgresql://user@host/db")
    p.add_argument("--from", dest="source",
                   help="the store to copy from (default: the one in use)")
    p.set_defaults(func=cmd_migrate_store)

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

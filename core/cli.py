"""`patent-desk`: with no subcommand it opens the desktop app; subcommands work headless.

Every user-fixable problem ends as one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from core import answer as answering
from core import cli_data
from core.errors import PatentDeskError
from core.logs import log, setup_logging
from core.progress import ProgressPrinter
from core.retrieve import MODES

EXIT_USER_ERROR = 2


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def _warn(desk: object) -> None:
    for line in desk.warnings():  # type: ignore[attr-defined]
        print(f"note: {line}", file=sys.stderr)


def _semantic_note(desk: object) -> None:
    if note := desk.semantic_note():  # type: ignore[attr-defined]
        print(f"note: {note}", file=sys.stderr)


def cmd_import(args: argparse.Namespace) -> int:
    from core.desk import Desk

    failed: list[str] = []

    def on_error(path: Path, exc: Exception) -> None:
        if not isinstance(exc, PatentDeskError):
            raise exc
        failed.append(str(path))
        cli_data.report_error(exc)

    with Desk(args.workspace, ProgressPrinter()) as desk:
        columns = (args.question_col, args.answer_col, args.category_col)
        for report in desk.import_files(args.files, columns, on_error):
            if args.json:
                _print_json(report.as_dict())
                continue
            print(f"{report.file}: {report.added} added, {report.updated} updated, "
                  f"{report.unchanged} unchanged, {len(report.skipped)} skipped "
                  f"({report.total_items} items in workspace '{desk.ws.name}')")
            for skip in report.skipped:
                print(f"  skipped row {skip.row}: {skip.reason}")
        if not args.json and not failed:
            _semantic_note(desk)  # the fill was cancelled, or its encoder cannot load
            _warn(desk)
    return EXIT_USER_ERROR if failed else 0


def cmd_search(args: argparse.Namespace) -> int:
    from core.desk import Desk, require_items

    with Desk(args.workspace, ProgressPrinter() if not args.json else None) as desk:
        require_items(desk)
        hits = desk.search(args.query, args.k, args.mode, args.exact)
        searched = desk.searched_as(args.query)
        if args.json:
            _print_json({"results": [h.as_dict() for h in hits], "searched_as": searched,
                         "semantic_ready": round(desk.semantic_state().share, 4),
                         "semantic_problem": desk.semantic_problem()})
            return 0
        if args.mode != "lexical":
            _semantic_note(desk)
            _warn(desk)
        elif desk.glossary_problem:
            print(f"note: {desk.glossary_problem}", file=sys.stderr)
        if searched:
            print(f"Searched as: {searched}  (glossary translation)")
        if not hits:
            print("No matching entries.")
        for n, hit in enumerate(hits, start=1):
            channels = ", ".join(f"{k} #{v.rank}" for k, v in hit.channels.items())
            print(f"{n:>2}. [{hit.item.id}] {hit.item.question}  ({hit.score:.3f}; {channels})")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from core.desk import Desk, require_items

    streaming = args.mode == "generate" and not args.json
    with Desk(args.workspace, ProgressPrinter() if not args.json else None) as desk:
        require_items(desk)

        def on_token(piece: str) -> None:
            print(piece, end="", flush=True)

        result = desk.ask(args.question, args.mode, on_token=on_token if streaming else None)
        if args.json:
            _print_json({**result.as_dict(),
                         "semantic_ready": round(desk.semantic_state().share, 4)})
            return 0
        if streaming:
            print()
            if result.corrected_citations:  # what was streamed named another source
                print(f"\n(citations corrected to the sources the text quotes)\n{result.text}")
        else:
            print(result.text)
        if result.mode == "generate" and result.sources:
            print()
            for n, hit in enumerate(result.sources, start=1):
                print(f"[{n}] {hit.item.question} (item {hit.item.id})")
        withheld = result.withheld_instructions  # the entries keep them
        print(f"\n— answered by: {result.model}" + (f"; {withheld} sentence(s) of the sources "
              "gave it orders and were withheld" if withheld else ""), file=sys.stderr)
        if result.searched_as:
            print(f"— searched as: {result.searched_as} (glossary translation)", file=sys.stderr)
        _semantic_note(desk)
        _warn(desk)
    return 0


def cmd_workspaces(args: argparse.Namespace) -> int:
    from core.store import list_workspaces, open_workspace

    names = list_workspaces()
    rows = []
    for name in names:
        with open_workspace(name) as ws:
            rows.append({"name": name, "items": ws.count_items(), "path": ws.location})
    if args.json:
        _print_json({"workspaces": rows})
    for row in [] if args.json else rows:
        print(f"{row['name']}: {row['items']} items  ({row['path']})")
    if not rows and not args.json:
        print("No workspaces yet; `patent-desk import FILE` creates 'default'.")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from core.desk import Desk
    from core.models import encoder_source, llm_source, speed

    with Desk(args.workspace, ProgressPrinter()) as desk:  # a new encoder re-embeds
        if args.action in ("set-encoder", "set-llm"):
            if not args.path:
                raise PatentDeskError(f"models {args.action} needs a PATH (or 'bundled')")
            value = None if args.path == "bundled" else args.path
            if (args.action == "set-encoder" and desk.ws.path is None and desk.ws.vector_dim()
                    and value != desk.ws.get_setting("models.encoder")):
                cli_data.confirm_re_embed(desk, args.yes, f"models set-encoder {args.path}",
                                          "is shared by every seat; a new encoder embeds")
            desk.set_model("encoder" if args.action == "set-encoder" else "llm", value)
            if args.action == "set-encoder" and desk.ws.count_items():
                desk.refresh_quality()
        elif args.action == "set-llm-url":
            if not args.path:
                raise PatentDeskError("models set-llm-url needs a URL (or 'none')")
            desk.set_llm_url(None if args.path == "none" else args.path)
        info = {"encoder": encoder_source(desk.ws.get_setting("models.encoder")).id,
                "llm": llm_source(desk.ws.get_setting("models.llm")).id,
                "llm_url": desk.llm_url(), "warnings": desk.warnings()}
        speeds = {kind: speed.measured(str(info[kind]), kind) for kind in ("encoder", "llm")}
        info["speed_here"] = {k: s.describe() if s else None for k, s in speeds.items()}
        if args.json:
            _print_json(info)
        else:
            print(f"encoder: {info['encoder']}\nllm:     {info['llm']}")
            for kind, measured in speeds.items():
                if measured:
                    print(f"{kind} speed here: {measured.describe()}")
            if info["llm_url"]:
                print(f"llm server: {info['llm_url']} (answers and LLM angles are written "
                      "there)")
            _warn(desk)
    return 0


def _metrics_table(rows: dict[str, dict[str, float]]) -> str:
    lines = [f"{'':10} {'Hit@1':>6} {'Hit@3':>6} {'Hit@10':>6} {'MRR@10':>7} {'NDCG@10':>7}"]
    for name, m in rows.items():
        lines.append(f"{name:10} {m['hit@1']:6.3f} {m['hit@3']:6.3f} {m['hit@10']:6.3f} "
                     f"{m['mrr@10']:7.3f} {m['ndcg@10']:7.3f}")
    return "\n".join(lines)


def cmd_tune(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from core.desk import Desk

    with Desk(args.workspace, ProgressPrinter()) as desk:
        options = desk.default_tune_options("symmetric" if args.symmetric else args.kind)
        if options.train.kind != "query" and desk.ws.path is None and desk.ws.vector_dim():
            cli_data.confirm_re_embed(desk, args.yes, "tune --kind symmetric",
                                      "is shared by every seat; a symmetric adapter that wins "
                                      "embeds")
        given = {k: v for k, v in (("per_angle", args.per_angle), ("negatives", args.negatives),
                                   ("max_train", args.max_train)) if v is not None}
        if args.llm_budget is not None:  # 0: no limit
            given["llm_budget_s"] = args.llm_budget or None
        train = replace(options.train, epochs=args.epochs or options.train.epochs)
        report = desk.tune(replace(options, **given, train=train), args.llm_angles)
        if args.json:
            _print_json(report.as_dict())
            return 0
        q = report.queries
        print(f"queries per angle: {json.dumps(q.stored, ensure_ascii=False)}")
        for note in (q.llm_skipped, q.llm_note):
            if note:
                print(f"note: {note}")
        for angle, reasons in q.dropped.items():
            print(f"  {angle}: filters dropped {json.dumps(reasons, ensure_ascii=False)}")
        print("held-out queries, before (base encoder):")
        print(_metrics_table(report.before))
        print("after (new adapter):")
        print(_metrics_table(report.after))
        times = ", ".join(f"{k} {v:.0f}s" for k, v in report.timings.items())
        state = "activated" if report.activated else "kept, not activated"
        print(f"adapter {report.adapter_id} {state}: {report.reason}. ({times})")
    return 0


def cmd_adapters(args: argparse.Namespace) -> int:
    from core.desk import Desk
    from core.tune.adapters import list_adapters

    with Desk(args.workspace, ProgressPrinter()) as desk:
        if args.action in ("activate", "deactivate"):
            if args.action == "activate" and args.id is None:
                raise PatentDeskError("adapters activate needs an ID (see: adapters list)")
            chosen = args.id if args.action == "activate" else None
            # A symmetric adapter reads the entries too: switching to or from one re-embeds.
            if desk.ws.path is None and any(a.kind != "query" and (a.id == chosen or a.active)
                                            for a in list_adapters(desk.ws)):
                cli_data.confirm_re_embed(
                    desk, args.yes, f"adapters {args.action} {args.id or ''}".rstrip(),
                    "is shared by every seat; switching to or from a symmetric adapter embeds")
            desk.activate_adapter(chosen)
        adapters = list_adapters(desk.ws)
        if args.json:
            _print_json({"adapters": [a.as_dict() for a in adapters]})
            return 0
        if not adapters:
            print("No adapters yet: run `patent-desk tune`.")
        for a in adapters:
            held = a.metrics.get("heldout", {}).get("hybrid", {})
            print(f"{'*' if a.active else ' '} {a.id:>3}  {a.created_at}  {a.kind:9}  "
                  f"held-out hybrid Hit@1 {held.get('hit@1', 0):.3f} "
                  f"MRR@10 {held.get('mrr@10', 0):.3f}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from core.desk import Desk

    with Desk(args.workspace, ProgressPrinter() if not args.json else None) as desk:
        result = desk.evaluate(args.queries, args.adapter)
        if args.json:
            _print_json(result)
            return 0
        print(f"{result['n']} queries, adapter: {result['adapter'] or 'none (base encoder)'}"
              f", hybrid dense weight {result['dense_weight']}")
        if result["unknown_gold"]:
            print(f"{len(result['unknown_gold'])} queries skipped: their gold item is not in "
                  f"this workspace (lines {result['unknown_gold'][:10]})")
        print(_metrics_table(result["retrievers"]))  # type: ignore[arg-type]
        angles: dict = result.get("angles") or {}  # type: ignore[assignment]
        if angles:
            print("\nHit@1 per angle:")
            print(f"{'angle':12} {'lexical':>8} {'dense':>8} {'hybrid':>8}")
            for angle, rows in angles.items():
                cells = (f"{rows[m]['hit@1']:8.3f}" for m in ("lexical", "dense", "hybrid"))
                print(f"{angle:12} " + " ".join(cells))
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", "-w", default=argparse.SUPPRESS,
                        help="workspace name (default: 'default')")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    parser = argparse.ArgumentParser(
        prog="patent-desk", description="Offline patent Q&A desk. No subcommand: open the app.")
    parser.add_argument("--workspace", "-w", default="default")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("import", parents=[common], help="import CSV/TSV/XLSX/JSONL Q&A files")
    p.add_argument("files", nargs="+")
    p.add_argument("--question-col")
    p.add_argument("--answer-col")
    p.add_argument("--category-col")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("search", parents=[common], help="search the workspace")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--exact", action="store_true", help="compare the question with every stored "
                   "vector in the database itself: the reference the faster in-memory search of "
                   "large workspaces is checked against (same results, slower)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", parents=[common], help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--mode", choices=answering.MODES, default="extract",
                   help="extract (default): the official answer verbatim; generate: local LLM")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("tune", parents=[common],
                       help="improve retrieval: generate queries, train an adapter, evaluate")
    p.add_argument("--kind", choices=("auto", "query", "symmetric"), default="auto",
                   help="query: only queries pass the adapter (item vectors kept); symmetric: "
                   "items too, and the encoder learns the characters it cannot read (re-embeds "
                   "every item); auto (default): symmetric when the encoder cannot read the "
                   "workspace, else query")
    p.add_argument("--symmetric", action="store_true", help="same as --kind symmetric")
    p.add_argument("--yes", action="store_true", help="symmetric on a shared store: let a "
                   "winning adapter re-embed every seat's vectors without asking")
    p.add_argument("--epochs", type=int, help="training epochs (default 3; 2 symmetric)")
    p.add_argument("--per-angle", type=int, help="rule-based queries per angle (default 1)")
    p.add_argument("--negatives", choices=("hard", "random", "both"),
                   help="which negatives to mine (default both)")
    p.add_argument("--max-train", type=int,
                   help="train on at most this many queries (a fixed sample; bounds the time)")
    p.add_argument("--llm-angles", choices=("auto", "on", "off"), default="auto",
                   help="the LLM's five query angles: auto (default) when the LLM writes the "
                   "workspace's language")
    p.add_argument("--llm-budget", type=float, metavar="SECONDS",
                   help="LLM writing time for this run (default 150; 0: no limit); later runs "
                   "continue with the items it did not reach")
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("adapters", parents=[common], help="list, activate or roll back adapters")
    p.add_argument("action", nargs="?", choices=("list", "activate", "deactivate"),
                   default="list")
    p.add_argument("id", nargs="?", type=int)
    p.add_argument("--yes", action="store_true", help="on a shared store: re-embed without "
                   "asking when the switch involves a symmetric adapter")
    p.set_defaults(func=cmd_adapters)

    p = sub.add_parser("eval", parents=[common], help="measure retrieval on a JSONL query file")
    p.add_argument("--queries", required=True)
    p.add_argument("--adapter", help="adapter ID, or 'none' for the base encoder")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("workspaces", parents=[common], help="list workspaces")
    p.set_defaults(func=cmd_workspaces)

    p = sub.add_parser("models", parents=[common], help="show or choose the models")
    p.add_argument("action", nargs="?", choices=("show", "set-encoder", "set-llm", "set-llm-url"),
                   default="show")
    p.add_argument("path", nargs="?", help="model folder / .gguf file, or 'bundled'; "
                   "for set-llm-url an OpenAI-compatible server (http://host:port/v1) or 'none'")
    p.add_argument("--yes", action="store_true", help="set-encoder on a shared store: "
                   "re-embed every seat's vectors without asking")
    p.set_defaults(func=cmd_models)
    cli_data.add_commands(sub, common)  # backup, restore, export
    return parser


def main(argv: Sequence[str] | None = None,
         open_window: Callable[[str], int] | None = None) -> int:
    """The command line. With no subcommand, `open_window(workspace)` opens the desktop app:
    desktop.launcher passes it in, so the engine never imports the GUI."""
    args = build_parser().parse_args(argv)
    setup_logging()
    log().info("command %s, workspace %s", args.command or "desktop", args.workspace)
    try:
        if args.command is None:
            if open_window is None:
                raise PatentDeskError("no command given; see patent-desk --help (the "
                                      "patent-desk program opens the window without one)")
            return open_window(args.workspace)
        if args.command == "search" and args.k < 1:
            raise PatentDeskError("--k must be at least 1")
        return int(args.func(args))
    except PatentDeskError as exc:
        cli_data.report_error(exc)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # `patent-desk search … | head` stopped reading: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
        return 0
    except Exception as exc:  # storage failures (busy, disk full, read-only): one line
        if not cli_data.fail_storage(exc, args):
            raise
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""results.json -> results.md (tables) and PNG plots; every table and figure names the machine,
the models (file + sha256) and the git commit it was measured with."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from tests.benchmarks import plots, report_files
from tests.benchmarks.common import md_table
from tests.benchmarks.quality import METRICS, ROWS

HEAD = {"hit@1": "Hit@1", "hit@3": "Hit@3", "hit@10": "Hit@10", "mrr@10": "MRR@10",
        "ndcg@10": "NDCG@10"}


def provenance(results: dict[str, Any], short: bool = True) -> str:
    meta = results["meta"]
    m, git = meta["machine"], meta["git"]
    models = "; ".join(
        f"{kind} {info['name']} `{info['files'][0]['file']}` sha256 "
        f"{info['files'][0]['sha256'][:12] if short else info['files'][0]['sha256']}"
        for kind, info in meta["models"].items() if info.get("files"))
    commit = git["short"] + (" + uncommitted changes" if git["dirty"] else "")
    return f"{m['cpu']}, {m['cores']} cores; {models}; commit {commit}"


def caption(results: dict[str, Any]) -> str:
    return f"\n_Measured on {provenance(results)}._\n"


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v:+.2f}%"


def metric_rows(rows: dict[str, dict[str, float]]) -> list[list[Any]]:
    return [[name, *[rows[name].get(m) for m in METRICS]] for name in ROWS if name in rows]


def relative_rows(rel: dict[str, dict[str, float | None]]) -> list[list[Any]]:
    return [[f"tuned {mode} vs base {mode}", *[pct(vals.get(m)) for m in METRICS]]
            for mode, vals in rel.items()]


def quality_section(r: dict[str, Any], q: dict[str, Any]) -> list[str]:
    header = ["retriever", *[HEAD[m] for m in METRICS]]
    out = ["## Retrieval quality\n",
           f"Queries: `{Path(q['queries_file']).name}`, {q['all']['n']} usable "
           f"({q['all']['unknown_gold']} without their gold item in the workspace); corpus: "
           f"{q.get('items')} items ({', '.join(q.get('files', []))}). Relative improvement = "
           "(tuned − base) / base, as the paper reports its +185.62% (Patent Consultation) "
           "and +262.26% (technical reports) in retrieval accuracy. Tuned hybrid uses the "
           "dense weight measured on the held-out queries when the adapter was trained; "
           "base hybrid the one calibrated at import. A tuning run whose best epoch is 0 "
           "(no held-out gain) leaves the encoder as it was, so tuned dense equals base "
           "dense.\n",
           "### All queries\n", md_table(header, metric_rows(q["all"]["rows"])
                                         + relative_rows(q["all"]["relative"])),
           caption(r), "![retrieval quality](quality.png)\n"]
    if q.get("subsets"):
        out.append("### By the paper's subsets\n")
        for subset, part in q["subsets"].items():
            out += [f"**{subset}** (n = {part['n']})\n\n",
                    md_table(header, metric_rows(part["rows"]) + relative_rows(part["relative"]))]
        out.append(caption(r))
    if q.get("angles"):
        names = [n for n in ROWS if n in next(iter(q["angles"].values()))["rows"]]
        out += ["### By query angle (Hit@1 / MRR@10)\n",
                md_table(["angle", "n", *names, "Δ dense MRR"],
                         [[a, p["n"], *[f"{p['rows'][n]['hit@1']:.3f} / "
                                        f"{p['rows'][n]['mrr@10']:.3f}" for n in names],
                           pct(p["relative"].get("dense", {}).get("mrr@10"))]
                          for a, p in q["angles"].items()]),
                caption(r), "![by angle](angles.png)\n"]
    if q.get("heldout"):
        h = q["heldout"]
        out += [f"### Held-out generated queries (n = {h['n']}, the tuning run's own split)\n",
                md_table(header, metric_rows(h["rows"]) + relative_rows(h["relative"])),
                caption(r)]
    tune = q.get("tune", {})
    if tune:
        out += ["### The tuning run\n",
                f"Options: `{tune.get('options') or 'app defaults'}`, LLM angles "
                f"`{tune.get('llm_angles')}`"
                + (f" ({tune['queries']['llm_skipped']})" if tune.get("queries", {}).get(
                    "llm_skipped") else "") + ".\n",
                f"Queries per angle: `{tune.get('queries_per_angle')}`; training queries: "
                f"{tune.get('train_queries')}, held-out: {tune.get('heldout_queries')}.\n",
                f"Adapter {tune.get('adapter_id')}: activated = {tune.get('activated')} "
                f"({tune.get('reason')}); hybrid dense weight {tune.get('fusion_weight')}.\n"
                if "error" not in tune else f"Tuning FAILED: {tune['error']}\n"]
    return out


def ablation_section(r: dict[str, Any], a: dict[str, Any]) -> list[str]:
    out = ["## Ablations\n"]
    for corpus, info in a.get("corpora", {}).items():
        base = info["base"]
        out.append(f"Corpus `{corpus}`: {', '.join(info['files'])}; {base['n']} hand-written "
                   f"queries have their gold item there (base dense MRR@10 "
                   f"{base['dense']['mrr@10']:.3f}, base hybrid {base['hybrid']['mrr@10']:.3f}, "
                   f"lexical {base['lexical']['mrr@10']:.3f}).\n")
    rows = []
    for rec in a.get("runs", []):
        if "error" in rec:
            rows.append([rec["name"], rec["label"], "FAILED: " + rec["error"][:80]] + [None] * 6)
            continue
        h, real = rec["heldout"], rec["realistic"]
        rows.append([rec["name"], rec["label"], rec.get("train_queries"),
                     f"{h['before']['dense']['mrr@10']:.3f} → {h['after']['dense']['mrr@10']:.3f}",
                     real["dense"]["hit@1"], real["dense"]["mrr@10"], real["hybrid"]["mrr@10"],
                     pct(rec["realistic_relative"].get("dense", {}).get("mrr@10")),
                     round(sum(rec["timings"].values()), 1)])
    out.append(md_table(["run", "what changes", "train queries", "held-out dense MRR",
                         "dense Hit@1", "dense MRR@10", "hybrid MRR@10", "Δ dense MRR",
                         "tune s"], rows))
    out += [f"\nEpochs per run: {a.get('epochs') or 'app default'}. Held-out sets differ "
            "between runs (each run generates its own queries); the hand-written queries are "
            "the same for all.\n"]
    out += [f"- Skipped: {s}\n" for s in a.get("skipped", [])]
    return out + [caption(r), "![ablations](ablations.png)\n"]


def generation_section(r: dict[str, Any], g: dict[str, Any]) -> list[str]:
    out = ["## Answer quality\n",
           "Against the gold item's official answer. ROUGE-L: F1 over characters (CJK) and "
           "words (Latin); BLEU: sacrebleu, `tokenize=\"zh\"`; citation accuracy: the gold "
           "item is among the cited sources; answered: the app cited something instead of "
           "saying nothing relevant was found. Citation markers are removed before scoring.\n"]
    header = ["mode", "retriever", "n", "ROUGE-L", "BLEU", "citation acc.", "answered"]
    rows = []
    for mode in ("extract", "generate"):
        for state, s in g.get(mode, {}).get("overall", {}).items():
            rows.append([mode, state, s["n"], s["rouge_l"], s["bleu"], s["citation_accuracy"],
                         s["answered"]])
        rel = g.get(mode, {}).get("relative")
        if rel:
            rows.append([mode, "tuned vs base", None, pct(rel["rouge_l"]), pct(rel["bleu"]),
                         pct(rel["citation_accuracy"]), None])
    out.append(md_table(header, rows))
    gen = g.get("generate", {})
    if gen.get("skipped"):
        out.append(f"\nGenerate mode: skipped ({gen['skipped']}).\n")
    elif gen:
        n = next(iter(gen.get("overall", {}).values()), {}).get("n", 0)
        out.append(f"\nGenerate mode: {n} of {gen.get('planned')} sampled queries answered by "
                   f"both retrievers within the {gen.get('budget_s')} s budget "
                   f"({gen.get('wall_s')} s; {gen.get('abandoned', 0)} answer(s) abandoned at "
                   f"the deadline); {gen.get('reused_base_answers', 0)} tuned-retriever "
                   "answers had exactly the base retriever's sources, so the base answer was "
                   f"reused. LLM threads: {g.get('llm_threads')} (the answers do not depend on "
                   "it; llama.cpp on every core stalls while anything else runs, see Speed)."
                   "\n")
    subsets = g.get("extract", {}).get("subsets", {})
    if subsets:
        out.append("\nExtract mode by subset (ROUGE-L / citation accuracy):\n\n")
        out.append(md_table(["subset", "n", "base", "tuned"], [
            [name, p["base"]["n"], f"{p['base']['rouge_l']:.3f} / "
             f"{p['base']['citation_accuracy']:.3f}",
             f"{p['tuned']['rouge_l']:.3f} / {p['tuned']['citation_accuracy']:.3f}"
             if "tuned" in p else None] for name, p in subsets.items()]))
    return out + [caption(r), "![answer quality](generation.png)\n"]


def speed_section(r: dict[str, Any]) -> list[str]:
    out = ["## Speed\n", "Each number comes with a limit measured in the same run on the same "
           "data; ratio = app / limit (1.0 = as fast as the limit).\n"]
    imp = r.get("import", {})
    rows = []
    for key, label in (("import_tipo", "TIPO files"),
                       ("import_synthetic", "synthetic spreadsheet")):
        if key in imp:
            c = imp[key]
            for step, what in (("lexical", "import, searchable by words"),
                               ("bigram_floor", "the same import; limit: parse + bare insert "
                                                "of its bigram tokens"),
                               ("fill", "dense fill behind it")):
                if step not in c:
                    continue  # results of runs before the bigram floor was measured
                s = c[step]
                rows.append([f"{what}, {label}", c["rows"], s["app_rows_per_s"],
                             s["limit_rows_per_s"], s["ratio"],
                             c["db_bytes_per_item"] if step == "lexical" else None])
    if "embedding" in imp:
        e = imp["embedding"]
        rows.append(["embedding (Encoder.encode_documents)", e["texts"], e["app_docs_per_s"],
                     e["raw_docs_per_s"], e["ratio"], None])
    llm = r.get("llm", {})
    if llm:
        rows.append([f"LLM query angles (core.augment), tokens/s, {llm.get('threads')} "
                     "threads", len(llm["calls"]), llm["app_tokens_per_s"],
                     llm["raw_tokens_per_s"], llm["ratio"], None])
        b = llm.get("batched")
        if b:
            rows.append([f"LLM query angles batched (LLMAngles.generate_many), tokens/s, "
                         f"{b['sequences']} conversations decoded together; limit: raw "
                         "llama_batch loop", b["sequences"], b["app_tokens_per_s"],
                         b["raw_tokens_per_s"], b["ratio"], None])
        if llm.get("raw_1_thread_tokens_per_s"):
            rows.append(["raw llama-cpp-python on 1 thread, same prompts (reference)",
                         len(llm["calls"]), None, llm["raw_1_thread_tokens_per_s"], None, None])
    out.append(md_table(["what", "rows / calls", "app per s", "limit per s", "ratio",
                         "DB bytes/item"], rows))
    out.append("\nLimits: import = parsing the file + a bare insert of the same rows "
               "into a plain SQLite FTS5 table (whose default tokenizer keeps a run of "
               "Chinese as one token: it cannot find a word inside a sentence; the bigram "
               "row inserts the app's character bigrams instead, made before the clock "
               "starts, the least an index that can find them costs); dense fill "
               "(core.vectors, committed batches; the numpy engine up to 2,000 items) = "
               "raw `SentenceTransformer.encode` of the questions with the model's document "
               "prompt (batch 32; on a random sample for big files, scaled); embedding = "
               "raw encode of the same texts; LLM = "
               "`llama_cpp.Llama.create_chat_completion` on the same messages, same sampling "
               "settings, calls interleaved.\n")
    if imp.get("cold_start"):
        out.append("\nCold start: one-off `patent-desk` calls on the TIPO workspace, and the "
                   "window from launch to its first answer (offscreen), each a new process, "
                   "median of 3 after one uncounted call (the venv; questions encoded by the "
                   "numpy engine, core/models/light.py):\n")
        out.append(md_table(["call", "seconds", "peak RSS MB"],
                            [[c["what"], c["seconds"], c["peak_rss_mb"]]
                             for c in imp["cold_start"]]))
    speed = r.get("generation", {}).get("generate", {}).get("speed")
    if speed:
        out.append(f"\nAnswer generation (Desk.ask generate, LLM threads: "
                   f"{r['generation'].get('llm_threads')}): {speed['tokens_per_s']} tokens/s "
                   f"over {speed['calls']} calls (prompt processing included).\n")
    search = r.get("search", {}).get("sizes", {})
    if search:
        rows = []
        for size, s in search.items():
            for mode in ("lexical", "dense", "dense_exact", "hybrid", "numpy"):
                if mode in s:  # dense_exact: runs from before the fast path have none
                    rows.append([f"{int(size):,}", mode, s[mode]["p50_ms"], s[mode]["p95_ms"],
                                 s[mode].get("ratio_p50_to_numpy")])
        out += ["\n### Search latency (ms per query, synthetic items)\n",
                "Each mode runs the app's own search (`Retriever.ranked`, top 10, query vector "
                "given) over the same synthetic items; the limit is exact brute force in numpy "
                "(one thread, as SQLite uses one) over the very same vectors. The last column "
                "is a slowdown: lower is better. `dense` is the default path (from 20,000 items "
                "an in-memory copy of the vectors, core/store/vector_cache.py), `dense_exact` "
                "the reference scan in the database (`search --exact`); lexical bounds common "
                "bigrams from 40,000 items (core/store/lexical_plan.py).\n\n",
                md_table(["items", "mode", "p50", "p95", "p50 / numpy p50"], rows),
                md_table(["items", "DB bytes/item", "RSS bytes/item (app, excl. numpy copy)",
                          "numpy bytes/item", "insert rows/s", "dense top-10 = numpy",
                          "exact top-10 = numpy", "lexical top-10 = full BM25",
                          "first dense search ms"],
                         [[f"{int(size):,}", s["db_bytes_per_item"],
                           s["rss_bytes_per_item_excl_numpy"], s["numpy_matrix_bytes_per_item"],
                           s["insert_rows_per_s"], s["dense_top10_agreement_with_numpy"],
                           s.get("dense_exact_top10_agreement_with_numpy", "–"),
                           s.get("lexical_top10_agreement_with_full_bm25", "–"),
                           s.get("dense_first_search_ms", "–")]
                          for size, s in search.items()]),
                caption(r), "![search latency](search_latency.png)\n"]
    tuning = r.get("derived", {}).get("tuning", [])
    if tuning:
        names = list(dict.fromkeys(k for t in tuning for k in t["stages_s"]))
        out += ["\n### Tuning wall time\n", md_table(
            ["run", *[f"{n} s" for n in names], "total s", "train queries",
             "train s / 1k queries", "total s / 1k queries"],
            [[t["run"], *[t["stages_s"].get(n) for n in names], t["total_s"],
              t["train_queries"], t.get("train_s_per_1k_queries"),
              t.get("total_s_per_1k_queries")] for t in tuning])]
    out += report_files.llama_builds_section()
    out += report_files.cold_start_section()
    stages = r.get("stages", {})
    out += ["\n### Peak RSS and wall time per stage (each stage is one process)\n",
            md_table(["stage", "wall s", "CPU s (user + sys)", "peak RSS MB", "status"],
                     [[n, i["wall_s"], i.get("cpu_s"), i["peak_rss_mb"],
                       "FAILED" if "error" in i else "ok"] for n, i in stages.items()]),
            caption(r), "![throughput](throughput.png) ![memory](memory.png)\n"]
    return out


def _within(run: dict[str, Any], target: float) -> bool:
    """Judged on what the machine held at once where that was measured (the sum of the two
    peaks counts a worker that tune has already closed), else on the sum."""
    held = run.get("together_peak_mb")
    return (held if held is not None else run["total_peak_mb"]) <= target


def actions_section(r: dict[str, Any], a: dict[str, Any]) -> list[str]:
    """Peak RSS per user action (tests/benchmarks/actions.py): issue #18's 2 GB target."""
    target = a.get("target_mb", 2048)
    rows = [[x["action"], x["wall_s"], x["main_peak_mb"], x.get("worker_peak_mb") or "–",
             x["total_peak_mb"], x.get("together_peak_mb", "–"), f"≤ {target}",
             ("FAILED" if x.get("returncode") else "yes" if _within(x, target) else "**no**")]
            for x in a.get("runs", [])]
    return ["\n### Peak RSS per user action (MB)\n",
            "Each action is one CLI call (`python -m core.cli ...`) on a workspace of the demo "
            "files, as the OS reports it (memory-mapped model pages included): the call's own "
            "peak from `os.wait4` (ru_maxrss) or, where it starts the local LLM's worker "
            "process (`core.models.llm_worker`), whose peak Linux folds into that figure, its "
            "VmHWM read from /proc every 0.2 s; the worker's peak is its VmHWM. "
            "Total = main + worker, an upper bound (the two peaks need not "
            "coincide); at once = the largest sum of both processes' RSS sampled every "
            "0.2 s (tune closes the LLM's process before it trains). The target is issue "
            "#18's 2 GB for any user action, checked on what was held at once.\n\n",
            md_table(["action", "wall s", "main peak MB", "LLM worker peak MB", "total MB",
                      "at once MB", "target MB", "within"], rows),
            caption(r)]


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    m = meta["machine"]
    out = [f"# Patent Desk benchmarks ({meta['profile']})\n",
           f"Command: `{meta['command']}` — wall time {meta.get('wall_s')} s, started "
           f"{meta['started']}.\n",
           f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, "
           f"Python {m['python']}; load average at start {m['loadavg_start']}, at end "
           f"{m.get('loadavg_end')} (the machine is shared; timings are what it gave).\n",
           f"Commit: `{meta['git']['commit']}`"
           + (f" plus {meta['git']['changed_files']} uncommitted file(s)"
              if meta["git"]["dirty"] else "") + ".\n",
           "Models:\n"]
    for kind, info in meta["models"].items():
        files = ", ".join(f"`{f['file']}` sha256 `{f['sha256']}`" for f in info["files"])
        out.append(f"- {kind}: {info['name']} ({info.get('package') or 'local'}): {files}\n")
    out.append("\nPackages: " + ", ".join(f"{k} {v}" for k, v in meta["packages"].items())
               + ".\n")
    out += [f"\n> {note}\n" for note in meta.get("notes", [])]
    failed = {n: i for n, i in results.get("stages", {}).items() if "error" in i}
    out += [f"\n**Stage {n} failed:** {i['error']}\n" for n, i in failed.items()]
    if results.get("quality"):
        out += quality_section(results, results["quality"])
    if results.get("ablations"):
        out += ablation_section(results, results["ablations"])
    if results.get("generation"):
        out += generation_section(results, results["generation"])
    out += speed_section(results)
    if results.get("actions"):
        out += actions_section(results, results["actions"])
    return "\n".join(part.rstrip("\n") + "\n" for part in out)


def preamble(results: dict[str, Any]) -> str:
    """How the document was made and how to make it again (for docs/benchmarks.md)."""
    return (
        "<!-- Generated by tests/benchmarks (report.py); rerun the command below to update. "
        "-->\n\n"
        "How to reproduce these numbers (from the repository root, with the `bench` extra: "
        "`.venv/bin/pip install -e '.[bench]'`):\n\n"
        f"```bash\n.venv/bin/{results['meta']['command']}\n```\n\n"
        "Without `--quick` the full run (49 minutes on 2 cores, measured; see "
        "docs/benchmarks-full.md) adds the queries-per-angle, LLM-angle and symmetric "
        "ablations, 24 generated answers, a 100,000-row spreadsheet and 1M search items. "
        "`--queries FILE` evaluates another JSONL query "
        "file. The runner, its stages and the metrics are in `tests/benchmarks/`; "
        "`tests/test_benchmarks.py` runs it on a tiny corpus.\n\n")


def write_all(results: dict[str, Any], out: Path, doc: Path | None = None) -> list[Path]:
    """results.md and the PNGs into `out`; with `doc`, the same Markdown there, its image
    links made relative to it. Returns the files written."""
    written = plots.write_plots(results, out, provenance(results))
    names = {p.name for p in written}
    text = re.sub(r" ?!\[[^\]]*\]\(([\w.]+\.png)\)",
                  lambda m: m.group(0) if m.group(1) in names else "", render(results))
    (out / "results.md").write_text(text, "utf-8")
    written.append(out / "results.md")
    if doc is not None:
        rel = Path(os.path.relpath(out.resolve(), doc.resolve().parent)).as_posix()
        for png in [p for p in written if p.suffix == ".png"]:
            text = text.replace(f"]({png.name})", f"]({rel}/{png.name})")
        title, _, body = text.partition("\n")
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text(f"{title}\n\n{preamble(results)}{body.lstrip()}", "utf-8")
        written.append(doc)
    return written

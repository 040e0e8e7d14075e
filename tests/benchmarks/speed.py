"""Throughput, each as a ratio to a limit measured in the same process on the same data:
import rows/s (the TIPO files and a synthetic spreadsheet) in two steps, lexical-ready
against parsing plus a bare FTS5 insert, and the dense fill against raw
SentenceTransformer.encode; embedding docs/s against raw encode; LLM tokens/s of the query
generator (core.augment) against raw llama-cpp-python on the same prompts."""

from __future__ import annotations

import csv
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.common import (
    DEMO_DIR,
    Profile,
    corpus_csv,
    current_rss_mb,
    log,
    peak_rss_mb,
)


def demo_items() -> list[Any]:
    from core.ingest import parse_file

    return [it for f in sorted(DEMO_DIR.glob("*.csv")) for it in parse_file(f).items]


def synthetic_rows(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """Question/answer/category rows recombined from the TIPO items (realistic characters
    and lengths); every question is unique."""
    rng = random.Random(seed)
    base = demo_items()
    rows = []
    for i in range(n):
        a, b, c = rng.choice(base), rng.choice(base), rng.choice(base)
        question = a.question[: len(a.question) // 2] + b.question[len(b.question) // 2 :]
        start = rng.randrange(max(1, len(c.answer) - 200))
        rows.append((f"{question}（{i}）", c.answer[start : start + 300], a.category))
    return rows


def write_sheet(rows: list[tuple[str, str, str]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["題目", "解答", "類別"])
        writer.writerows(rows)
    return path


def _raw_encode(encoder: Any, texts: list[str], with_prompt: bool = True) -> float:
    """Seconds for plain SentenceTransformer.encode (batch 32, normalised) of `texts`, with
    the model's own document prompt (multilingual-e5's "passage: ", 2 tokens more per
    question): the model must read it, so the limit reads it too (without it, the limit
    was about 6% faster than any app could be on 4,000 synthetic questions)."""
    prompts = (getattr(encoder.model, "prompts", None) or {}) if with_prompt else {}
    prompt = prompts.get("document")
    started = time.perf_counter()
    encoder.model.encode(texts, batch_size=32, normalize_embeddings=True, prompt=prompt,
                         convert_to_numpy=True, show_progress_bar=False)
    return time.perf_counter() - started


def _db_bytes(path: Path) -> int:
    return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists())


def _bare_fts_insert(items: list[Any], folder: Path, bigrams: bool = False) -> float:
    """Seconds to insert the parsed rows, as they are, into a plain SQLite FTS5 table (one
    transaction, a file on disk): the least an index that is searchable at once can cost.
    FTS5's default tokenizer keeps a run of Chinese as one token, so that index cannot find
    a word inside a sentence; `bigrams`: insert the app's character bigrams instead
    (core.text.char_tokens, made before the clock starts), the least an index that can."""
    import sqlean as sqlite3

    from core.text import char_tokens

    path = folder / "bare-fts.sqlite"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(str(path))
    rows = [tuple(" ".join(char_tokens(v)) if bigrams else v
                  for v in (it.question, it.answer, it.category)) for it in items]
    try:
        started = time.perf_counter()
        with db:
            db.execute("CREATE VIRTUAL TABLE t USING fts5(question, answer, category)")
            db.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        return time.perf_counter() - started
    finally:
        db.close()


def import_case(name: str, files: list[Path], questions: list[str], encoder: Any,
                limit_sample: int, raw_encode_s: float | None = None) -> dict[str, Any]:
    """Import `files` into a fresh workspace, in the two steps a user waits for:
    - lexical-ready: the import itself (searchable by words when it returns), against
      parsing the files plus a bare insert of the same rows into an FTS5 table;
    - the dense fill behind it (core.vectors), against raw encoding of (a sample of) the
      same questions, scaled to all rows (`raw_encode_s`: that time for all of them, when
      already measured)."""
    from core import vectors
    from core.desk import Desk
    from core.ingest import parse_file

    started = time.perf_counter()
    parsed = [it for f in files for it in parse_file(f).items]
    parse_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        insert_s = _bare_fts_insert(parsed, Path(scratch))
        bigram_insert_s = _bare_fts_insert(parsed, Path(scratch), bigrams=True)
    # Drawn across the rows, not their head: a synthetic row's question ends in its number,
    # so the first rows' questions are shorter than the rest.
    sample = (questions if raw_encode_s is not None or len(questions) <= limit_sample
              else random.Random(11).sample(questions, limit_sample))
    encode_s = raw_encode_s if raw_encode_s is not None else (
        _raw_encode(encoder, sample) * len(questions) / max(1, len(sample)))
    rss_before = current_rss_mb()
    with Desk(name, encoder=encoder) as desk:
        started = time.perf_counter()
        desk.import_files(files, fill=False)
        lexical_s = time.perf_counter() - started
        rows = desk.ws.count_items()
        started = time.perf_counter()
        vectors.fill_missing(desk.ws, desk.models.encoders.for_documents(rows))
        fill_s = time.perf_counter() - started
        desk.refresh_quality()  # what import does after a complete fill (not timed here)
        path = desk.ws.path
    lexical_limit_s = parse_s + insert_s

    def step(app_s: float, limit_s: float) -> dict[str, float]:
        return {"app_s": round(app_s, 2), "app_rows_per_s": round(rows / app_s, 1),
                "limit_s": round(limit_s, 2), "limit_rows_per_s": round(rows / limit_s, 1),
                "ratio": round(limit_s / app_s, 3)}

    return {"rows": rows, "lexical": step(lexical_s, lexical_limit_s),
            "fill": step(fill_s, encode_s), "parse_s": round(parse_s, 2),
            "bare_fts_insert_s": round(insert_s, 3),
            "bigram_floor": step(lexical_s, parse_s + bigram_insert_s),
            "raw_encode_s": round(encode_s, 2),
            "limit_sample": len(sample), "db_bytes": _db_bytes(path),
            "db_bytes_per_item": round(_db_bytes(path) / max(1, rows), 1),
            "rss_growth_mb": round(current_rss_mb() - rss_before, 1),
            "peak_rss_mb": peak_rss_mb()}


def embedding_case(encoder: Any, texts: list[str]) -> dict[str, Any]:
    """Encoder.encode_documents (what import uses) vs raw encode on the same texts."""
    encoder.model.encode(texts[:32], show_progress_bar=False)  # warm-up
    raw_s = _raw_encode(encoder, texts)
    started = time.perf_counter()
    encoder.encode_documents(texts)
    app_s = time.perf_counter() - started
    return {"texts": len(texts), "app_docs_per_s": round(len(texts) / app_s, 1),
            "raw_docs_per_s": round(len(texts) / raw_s, 1), "ratio": round(raw_s / app_s, 3),
            "raw_s": raw_s}


def cold_start(workspace: str, scratch: Path, repeats: int = 3) -> list[dict[str, Any]]:
    """Seconds and peak RSS of one-off CLI calls and of the window's first answer as a user
    meets them, each a new process on an existing workspace (tests/benchmarks/cold_start.py;
    the bundle's beside the venv's: run that module with --app)."""
    import sys

    from tests.benchmarks import cold_start as cold

    program = Path(sys.executable).with_name("patent-desk")
    return cold.measure({"venv": (program, dict(os.environ))}, scratch, repeats, workspace)


def run_import(profile: Profile, work: Path) -> dict[str, Any]:
    from core.ingest import parse_file
    from core.records import document_text
    from tests.benchmarks.quality import load_encoder

    started = time.perf_counter()
    encoder = load_encoder()
    out: dict[str, Any] = {"encoder_load_s": round(time.perf_counter() - started, 2)}
    files = sorted(DEMO_DIR.glob("*.csv"))
    if profile.speed_corpus_rows is not None:
        files = [corpus_csv(("patent_qa.csv", "utility_model_report_qa.csv"),
                            profile.speed_corpus_rows, work / "corpus" / "speed.csv")]
    questions = [document_text(it) for f in files for it in parse_file(f).items]
    log(f"speed: embedding {len(questions)} TIPO questions, app vs raw")
    out["embedding"] = embedding_case(encoder, questions)
    log("speed: importing the TIPO files")
    out["import_tipo"] = import_case("speed-tipo", files, questions, encoder, len(questions),
                                     out["embedding"]["raw_s"])
    log("speed: cold starts of the CLI and the window")
    out["cold_start"] = cold_start("speed-tipo", work, 1 if profile.name == "tiny" else 3)
    rows = synthetic_rows(profile.synthetic_rows)
    sheet = write_sheet(rows, work / "corpus" / f"synthetic-{len(rows)}.csv")
    log(f"speed: importing a synthetic {len(rows)}-row spreadsheet")
    out["import_synthetic"] = import_case("speed-synthetic", [sheet], [r[0] for r in rows],
                                          encoder, profile.limit_sample)
    sheet.unlink()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


# -- LLM -------------------------------------------------------------------------------------
def run_llm(profile: Profile, workspace: str = "bench") -> dict[str, Any]:
    """LLMAngles (core.augment) vs llama_cpp.Llama.create_chat_completion on the very same
    messages, interleaved call by call; tokens are counted the same way on both sides."""
    from llama_cpp import Llama

    from core.augment.llm_angles import LLMAngles
    from core.models import llm_source
    from core.models.llm import LocalLLM
    from core.store import open_workspace

    source = llm_source(None)
    threads = profile.llm_threads or max(1, os.cpu_count() or 1)  # LocalLLM's default: all
    started = time.perf_counter()
    llm = LocalLLM(source, n_threads=profile.llm_threads)
    load_s = time.perf_counter() - started
    raws = {"raw": Llama(model_path=str(source.path), n_ctx=llm.n_ctx, seed=7,
                         n_threads=threads, verbose=False)}
    if threads > 1:
        raws["raw1"] = Llama(model_path=str(source.path), n_ctx=llm.n_ctx, seed=7,
                             n_threads=1, verbose=False)
    angles = LLMAngles(llm, k=3, max_tokens=profile.llm_max_tokens)
    with open_workspace(workspace) as ws:
        ids = ws.item_ids()
        step = max(1, len(ids) // max(1, profile.llm_items))
        items = ws.get_items(ids[::step][: profile.llm_items])
    if not items:  # the quality stage did not build its workspace: use the files
        from core.records import Item

        items = [Item(n, it.question, it.answer, it.category, "", 0, "", "", "")
                 for n, it in enumerate(demo_items()[: profile.llm_items], start=1)]
    calls = []
    for item in items:
        for role in profile.llm_roles:
            log(f"speed: LLM angle {role} for item {item.id}, app then raw")
            _, stats = angles.generate(item, [role])
            messages = angles.messages(item, role)
            call = {"item": item.id, "role": role,
                    "prompt_tokens": sum(llm.count_tokens(m["content"]) for m in messages),
                    "app_tokens": stats[role].tokens, "app_s": round(stats[role].seconds, 3)}
            for key, model in raws.items():
                t0 = time.perf_counter()
                reply = model.create_chat_completion(
                    messages=messages, max_tokens=profile.llm_max_tokens,
                    temperature=angles.temperature, repeat_penalty=1.15)
                seconds = time.perf_counter() - t0
                text = reply["choices"][0]["message"]["content"] or ""  # type: ignore[index]
                call.update({f"{key}_tokens": llm.count_tokens(text),
                             f"{key}_s": round(seconds, 3)})
            calls.append(call)
    batched = run_llm_batched(profile, angles, raws["raw"], items) if profile.llm_batch_items \
        else None
    app_t, app_s = sum(c["app_tokens"] for c in calls), sum(c["app_s"] for c in calls)
    raw_t, raw_s = sum(c["raw_tokens"] for c in calls), sum(c["raw_s"] for c in calls)
    app_rate = app_t / app_s if app_s else 0.0
    raw_rate = raw_t / raw_s if raw_s else 0.0
    one_t = sum(c.get("raw1_tokens", 0) for c in calls)
    one_s = sum(c.get("raw1_s", 0.0) for c in calls)
    return {"model": source.name, "load_s": round(load_s, 2), "calls": calls,
            "threads": threads, "raw_1_thread_tokens_per_s": round(one_t / one_s, 2)
            if one_s else None,
            "max_tokens": profile.llm_max_tokens, "roles": list(profile.llm_roles),
            "app_tokens_per_s": round(app_rate, 2), "raw_tokens_per_s": round(raw_rate, 2),
            "ratio": round(app_rate / raw_rate, 3) if raw_rate else None,
            "reported_by_app": round(angles.tokens_per_second, 2), "batched": batched,
            "peak_rss_mb": peak_rss_mb()}


def run_llm_batched(profile: Profile, angles: Any, raw: Any, items: list[Any]
                    ) -> dict[str, Any]:
    """The app's batched angle generation (LLMAngles.generate_many: every role of
    `llm_batch_items` items in one batch, through the worker process and the filters) vs raw
    batched llama-cpp-python: the same conversations decoded together through the low-level
    API (llama_batch) in this process, with the same sampler chain."""
    from core.augment.llm_angles import ROLES
    from tests.benchmarks.raw_llama import raw_batched

    pool = items * profile.llm_batch_items
    batch_items = pool[: profile.llm_batch_items]
    jobs = [(item, ROLES, ()) for item in batch_items]
    conversations = [angles.messages(item, role) for item in batch_items for role in ROLES]
    log(f"speed: batched LLM angles, {len(conversations)} conversations, app then raw")
    tokens0, seconds0 = angles.total_tokens, time.perf_counter()
    angles.generate_many(jobs)
    app_s = time.perf_counter() - seconds0
    app_t = angles.total_tokens - tokens0
    raw_t, raw_s = raw_batched(raw, conversations, angles.max_tokens, angles.temperature)
    app_rate, raw_rate = app_t / app_s if app_s else 0.0, raw_t / raw_s if raw_s else 0.0
    return {"sequences": len(conversations), "app_tokens": app_t, "app_s": round(app_s, 2),
            "raw_tokens": raw_t, "raw_s": round(raw_s, 2),
            "app_tokens_per_s": round(app_rate, 2), "raw_tokens_per_s": round(raw_rate, 2),
            "ratio": round(app_rate / raw_rate, 3) if raw_rate else None}


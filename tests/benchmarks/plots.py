"""The PNG figures (matplotlib, Agg). Labels stay ASCII: the bundled fonts have no CJK glyphs.
Each figure carries a footer naming the machine, the models (file + sha256) and the commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.quality import METRICS, ROWS

COLORS = {"lexical": "#7f7f7f", "base dense": "#9ecae1", "base hybrid": "#fdae6b",
          "tuned dense": "#3182bd", "tuned hybrid": "#e6550d"}


def _figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (10, 5)) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(rows, cols, figsize=size, squeeze=False)


def _save(fig: Any, path: Path, footer: str) -> Path:
    import matplotlib.pyplot as plt

    fig.text(0.01, 0.005, footer, fontsize=6.5, color="#444444", ha="left", va="bottom",
             wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _bars(ax: Any, groups: list[str], series: dict[str, list[float]], title: str,
          ylabel: str = "", colors: dict[str, str] | None = None) -> None:
    width = 0.8 / max(1, len(series))
    for n, (name, values) in enumerate(series.items()):
        xs = [g + n * width - 0.4 + width / 2 for g in range(len(groups))]
        ax.bar(xs, values, width, label=name, color=(colors or {}).get(name))
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)


def quality_plot(r: dict[str, Any], path: Path, footer: str) -> Path | None:
    q = r.get("quality") or {}
    if not q.get("all"):
        return None
    subsets = q.get("subsets") or {}
    fig, axes = _figure(1, 2 if subsets else 1, (13 if subsets else 8, 4.8))
    rows = q["all"]["rows"]
    names = [n for n in ROWS if n in rows]
    _bars(axes[0][0], [m.upper() for m in METRICS],
          {n: [rows[n][m] for m in METRICS] for n in names},
          f"TIPO hand-written queries (n={q['all']['n']})", "score", COLORS)
    if subsets:
        labels = list(subsets)
        _bars(axes[0][1], [f"{s} (n={subsets[s]['n']})" for s in labels],
              {n: [subsets[s]["rows"].get(n, {}).get("mrr@10", 0) for s in labels]
               for n in names}, "MRR@10 by subset", "MRR@10", COLORS)
    return _save(fig, path, footer)


def angles_plot(r: dict[str, Any], path: Path, footer: str) -> Path | None:
    angles = (r.get("quality") or {}).get("angles") or {}
    if not angles:
        return None
    fig, axes = _figure(1, 1, (11, 4.8))
    labels = list(angles)
    names = [n for n in ROWS if n in angles[labels[0]]["rows"]]
    _bars(axes[0][0], [f"{a} (n={angles[a]['n']})" for a in labels],
          {n: [angles[a]["rows"][n]["mrr@10"] for a in labels] for n in names},
          "MRR@10 by query angle", "MRR@10", COLORS)
    return _save(fig, path, footer)


def ablations_plot(r: dict[str, Any], path: Path, footer: str) -> Path | None:
    a = r.get("ablations") or {}
    runs = [x for x in a.get("runs", []) if "realistic" in x]
    if not runs:
        return None
    fig, axes = _figure(1, 2, (13, 4.8))
    labels = [x["name"] for x in runs]
    _bars(axes[0][0], labels, {
        "dense": [x["realistic"]["dense"]["mrr@10"] for x in runs],
        "hybrid": [x["realistic"]["hybrid"]["mrr@10"] for x in runs]},
        "Hand-written queries: MRR@10 after tuning", "MRR@10",
        {"dense": "#3182bd", "hybrid": "#e6550d"})
    for corpus, info in a.get("corpora", {}).items():
        axes[0][0].axhline(info["base"]["dense"]["mrr@10"], ls="--", lw=0.8, color="#3182bd")
        axes[0][0].axhline(info["base"]["hybrid"]["mrr@10"], ls=":", lw=0.8, color="#e6550d")
        axes[0][0].text(len(labels) - 0.5, info["base"]["dense"]["mrr@10"], f"base ({corpus})",
                        fontsize=6, ha="right", va="bottom")
    _bars(axes[0][1], labels, {
        "before": [x["heldout"]["before"]["dense"]["mrr@10"] for x in runs],
        "after": [x["heldout"]["after"]["dense"]["mrr@10"] for x in runs]},
        "Held-out generated queries: dense MRR@10", "MRR@10",
        {"before": "#9ecae1", "after": "#3182bd"})
    return _save(fig, path, footer)


def generation_plot(r: dict[str, Any], path: Path, footer: str) -> Path | None:
    g = r.get("generation") or {}
    modes = [m for m in ("extract", "generate") if g.get(m, {}).get("overall")]
    if not modes:
        return None
    fig, axes = _figure(1, len(modes), (6 * len(modes), 4.5))
    for ax, mode in zip(axes[0], modes, strict=True):
        overall = g[mode]["overall"]
        _bars(ax, ["ROUGE-L", "BLEU / 100", "citation acc."],
              {s: [v["rouge_l"], v["bleu"] / 100, v["citation_accuracy"]]
               for s, v in overall.items()},
              f"{mode} (n={next(iter(overall.values()))['n']})", "score",
              {"base": "#9ecae1", "tuned": "#3182bd"})
    return _save(fig, path, footer)


def search_plot(r: dict[str, Any], path: Path, footer: str) -> Path | None:
    sizes = (r.get("search") or {}).get("sizes") or {}
    if not sizes:
        return None
    fig, axes = _figure(1, 1, (8, 5))
    ax = axes[0][0]
    xs = [int(s) for s in sizes]
    for mode, style in (("lexical", "o-"), ("dense", "s-"), ("hybrid", "^-"),
                        ("numpy", "k--")):
        ax.plot(xs, [sizes[s][mode]["p50_ms"] for s in sizes], style, label=f"{mode} p50")
        ax.fill_between(xs, [sizes[s][mode]["p50_ms"] for s in sizes],
                        [sizes[s][mode]["p95_ms"] for s in sizes], alpha=0.12)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("items")
    ax.set_ylabel("ms per query (band: p50 to p95)")
    ax.set_title("Search latency vs exact numpy brute force")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, path, footer)


def throughput_plot(r: dict[str, Any], path: Path, footer: str) -> Path | None:
    imp, llm = r.get("import") or {}, r.get("llm") or {}
    bars: dict[str, float] = {}
    for key, label in (("import_tipo", "TIPO"), ("import_synthetic", "synthetic")):
        if key in imp:
            bars[f"import {label}"] = imp[key]["lexical"]["ratio"]
            bars[f"fill {label}"] = imp[key]["fill"]["ratio"]
    if "embedding" in imp:
        bars["embedding"] = imp["embedding"]["ratio"]
    if llm.get("ratio") is not None:
        bars["LLM angles tok/s"] = llm["ratio"]
    if not bars:
        return None
    fig, axes = _figure(1, 1, (8, 4.5))
    ax = axes[0][0]
    ax.bar(list(bars), list(bars.values()), color="#3182bd")
    ax.axhline(1.0, color="k", ls="--", lw=0.8)
    ax.set_ylabel("app / limit")
    ax.set_title("Throughput as a share of the limit measured in the same run")
    for n, v in enumerate(bars.values()):
        ax.text(n, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    return _save(fig, path, footer)


def memory_plot(r: dict[str, Any], path: Path, footer: str) -> Path | None:
    stages = r.get("stages") or {}
    tuning = (r.get("derived") or {}).get("tuning") or []
    if not stages:
        return None
    fig, axes = _figure(1, 2 if tuning else 1, (13 if tuning else 7, 4.5))
    ax = axes[0][0]
    ax.bar(list(stages), [i["peak_rss_mb"] for i in stages.values()], color="#756bb1")
    ax.set_ylabel("peak RSS (MB)")
    ax.set_title("Peak RSS per stage (one process each)")
    if tuning:
        names = list(dict.fromkeys(k for t in tuning for k in t["stages_s"]))
        ax2 = axes[0][1]
        bottom = [0.0] * len(tuning)
        for name in names:
            values = [t["stages_s"].get(name, 0.0) for t in tuning]
            ax2.bar([t["run"].replace("ablation ", "") for t in tuning], values, bottom=bottom,
                    label=name)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax2.set_ylabel("seconds")
        ax2.set_title("Tuning wall time per stage")
        ax2.legend(fontsize=7)
        ax2.tick_params(axis="x", labelsize=7, rotation=30)
    return _save(fig, path, footer)


PLOTS: dict[str, Callable[[dict[str, Any], Path, str], Path | None]] = {
    "quality.png": quality_plot, "angles.png": angles_plot, "ablations.png": ablations_plot,
    "generation.png": generation_plot, "search_latency.png": search_plot,
    "throughput.png": throughput_plot, "memory.png": memory_plot,
}


def write_plots(results: dict[str, Any], out: Path, footer: str) -> list[Path]:
    written = []
    for name, plot in PLOTS.items():
        path = plot(results, out / name, footer)
        if path is not None:
            written.append(path)
    return written

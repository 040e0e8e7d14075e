"""The house rules, checked on every run: core is a library that never reaches for the GUI,
the GUI only presents core (no SQL, no ML), no module imports itself round a cycle, and the
code is ruff clean."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What only the engine may touch: storage and machine learning.
ENGINE_ONLY = ("sqlite3", "sqlean", "sqlite_vec", "psycopg", "pgvector", "torch",
               "sentence_transformers", "transformers", "peft", "llama_cpp", "numpy")
GUI = ("PySide6", "desktop")


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(path: Path, module: str) -> set[str]:
    """Every module `path` imports, at the top or inside a function (lazy imports count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def test_core_never_imports_the_gui():
    offenders = {m: sorted(i for i in _imports(p, m) if _top(i) in GUI)
                 for m, p in _modules("core").items()}
    assert not {m: i for m, i in offenders.items() if i}


def test_desktop_has_no_sql_and_no_ml():
    offenders = {m: sorted(i for i in _imports(p, m) if _top(i) in ENGINE_ONLY)
                 for m, p in _modules("desktop").items()}
    assert not {m: i for m, i in offenders.items() if i}
    for module, path in _modules("desktop").items():
        text = path.read_text(encoding="utf-8")
        assert ".execute(" not in text, module  # SQL belongs to core.store


def test_no_module_of_core_grows_past_400_lines():
    long = {m: n for m, p in _modules("core").items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"split these modules: {long}"


def test_no_import_cycles():
    modules = {**_modules("core"), **_modules("desktop")}
    graph = {}
    for module, path in modules.items():
        targets = set()
        for name in _imports(path, module):
            while name and name not in modules:  # `from core.x import f` -> core.x
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                targets.add(name)  # a package importing its own submodules is no cycle
        graph[module] = targets
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):
                continue  # __init__ re-exporting a submodule
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_ruff_is_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]

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


def _modules(package: str, root: Path = ROOT) -> dict[str, Path]:
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(path: Path, module: str) -> set[str]:
    """Every module `path` imports, at the top or inside a function (lazy imports count).
    `from pkg import name` gives `pkg.name`: the submodule where `name` is one, else (a name
    defined in pkg/__init__) it resolves to `pkg`."""
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


def _cycles(modules: dict[str, Path]) -> list[list[str]]:
    graph = {}
    for module, path in modules.items():
        targets = set()
        for name in _imports(path, module):
            while name and name not in modules:  # `from core.x import f` -> core.x
                name = name.rpartition(".")[0]
            # `from core.store import seat` is an edge to core.store.seat, and
            # `from core.store import Workspace` one to core.store (its __init__): a
            # submodule that takes names from its own package's __init__ counts.
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_import_cycles():
    cycles = _cycles({**_modules("core"), **_modules("desktop")})
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_a_submodule_taking_a_name_from_its_own_package_init_is_an_edge(tmp_path: Path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg.a import f\nfrom pkg.b import g\n")
    (tmp_path / "pkg" / "a.py").write_text("from pkg import b\n\ndef f():\n"
                                           "    from pkg import g\n")
    (tmp_path / "pkg" / "b.py").write_text("g = 1\n")
    assert _cycles(_modules("pkg", tmp_path)) == [["pkg", "pkg.a", "pkg"]]
    (tmp_path / "pkg" / "a.py").write_text("from pkg import b\n\ndef f():\n"
                                           "    from pkg.b import g\n")
    assert _cycles(_modules("pkg", tmp_path)) == []  # both are edges to pkg.b, not to pkg


def test_ruff_is_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


# The two backends of a workspace (core.store.protocol.WorkspaceStore) and the one module
# that picks between them.
BACKENDS = ("core.store.workspace", "core.store.postgres")
PICKER = "core.store.backend"


def _module_of(name: str, modules: dict[str, Path]) -> str:
    while name and name not in modules:  # `from core.x import f` -> core.x
        name = name.rpartition(".")[0]
    return name


def test_only_core_store_backend_picks_a_backend():
    """`core.store.open` is the one place that constructs a workspace: everything else gets
    a WorkspaceStore from it and never names PgWorkspace or calls Workspace(...) itself."""
    offenders = []
    for module, path in {**_modules("core"), **_modules("desktop")}.items():
        if module == PICKER:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = node.func if isinstance(node, ast.Call) else None
            name = getattr(called, "id", None) or getattr(called, "attr", None)
            if name in ("Workspace", "PgWorkspace"):
                offenders.append(f"{module}:{node.lineno} {name}(...)")
        offenders += [f"{module} imports {i}" for i in _imports(path, module)
                      if i.endswith(".PgWorkspace") and module not in BACKENDS]
    assert not offenders, offenders


def test_backends_import_only_the_protocol_and_the_sqlite_one_not_even_that():
    """The Protocol imports no backend (anything may import it), the SQLite backend never
    reaches for the PostgreSQL one, and the one edge between them is PgWorkspace reusing
    the SQLite workspace's SQL (it subclasses it); a new edge needs a reason here."""
    modules = _modules("core")
    edges = {(m, t) for m in (*BACKENDS, "core.store.protocol")
             for t in (_module_of(i, modules) for i in _imports(modules[m], m))
             if t in BACKENDS and t != m}
    assert edges == {("core.store.postgres", "core.store.workspace")}
    assert not {i for i in _imports(modules["core.store.workspace"], "core.store.workspace")
                if _top(i) in ("psycopg", "pgvector") or i.startswith("core.store.address")}


def test_both_backends_have_every_method_of_the_protocol():
    """Whatever the rest of core calls on a WorkspaceStore, each backend has, taking at least
    the Protocol's parameters (a backend may add some of its own, with defaults)."""
    import inspect

    from core.store.postgres import PgWorkspace
    from core.store.protocol import WorkspaceStore
    from core.store.workspace import Workspace

    members = [*(m for m in vars(WorkspaceStore) if not m.startswith("_")),
               "__enter__", "__exit__"]
    assert {"get_setting", "lexical_search", "vector_search", "transaction"} <= set(members)
    for backend in (Workspace, PgWorkspace):
        for member in members:
            wanted = inspect.getattr_static(WorkspaceStore, member)
            if isinstance(wanted, property):  # an attribute or a property: set on open
                continue
            have = getattr(backend, member, None)
            assert callable(have), f"{backend.__name__} has no {member}"
            want = list(inspect.signature(wanted).parameters.values())
            got = list(inspect.signature(have).parameters.values())
            assert [p.name for p in got[: len(want)]] == [p.name for p in want], (
                backend.__name__, member)
            assert all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                       for p in got[len(want):]), (backend.__name__, member)

"""One suite over both stores: this computer's SQLite files and a shared PostgreSQL store with
pgvector (a real server from the `pgserver` package, started in a temp folder). Import,
search, ask, evaluation, tuning, workspace management and `migrate-store` behave alike."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from core.desk import Desk
from core.library import item_ids
from core.store.tuning import AdapterStore
from tests.conftest import REALISTIC_QUERIES, TIPO_FILES, run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

SMALL = [f for f in TIPO_FILES if f.name != "patent_qa.csv"]  # 36 items: quick to embed
QUESTION = "新型專利技術報告有什麼用？"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment that selects the store, for subprocesses and for this process."""
    if request.param == "sqlite":
        monkeypatch.delenv("PATENT_DESK_STORE", raising=False)
        return {}
    url = request.getfixturevalue("pg_url")
    monkeypatch.setenv("PATENT_DESK_STORE", url)
    return {"PATENT_DESK_STORE": url}


def _small_queries(tmp_path: Path) -> Path:
    names = {f.name for f in SMALL}
    lines = [line for line in REALISTIC_QUERIES.read_text("utf-8").splitlines()
             if json.loads(line).get("file") in names]
    out = tmp_path / "small.jsonl"
    out.write_text("\n".join(lines), "utf-8")
    return out


def test_import_search_ask_and_eval(store: dict[str, str], data_home: Path, tmp_path: Path):
    imported = run_cli("import", *map(str, SMALL), "--workspace", "office", home=data_home,
                       env=store)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.count("added") == len(SMALL)
    again = run_cli("import", str(SMALL[0]), "--workspace", "office", home=data_home, env=store)
    assert "0 added, 0 updated, 10 unchanged" in again.stdout

    listed = json.loads(run_cli("workspaces", "--json", home=data_home, env=store).stdout)
    [office] = listed["workspaces"]
    assert office["name"] == "office" and office["items"] == 36
    assert ("patent_desk:office" in office["path"]) == bool(store)

    found = run_cli("search", QUESTION, "--workspace", "office", "--json", "--k", "3",
                    home=data_home, env=store)
    assert found.returncode == 0, found.stderr
    top = json.loads(found.stdout)["results"][0]
    assert "新型專利技術報告" in top["question"] and set(top["channels"]) == {"lexical", "dense"}
    asked = json.loads(run_cli("ask", QUESTION, "--workspace", "office", "--json",
                               home=data_home, env=store).stdout)
    assert asked["citations"] == [top["id"]] and asked["answer"].startswith(top["answer"])
    evaluated = run_cli("eval", "--queries", str(_small_queries(tmp_path)), "--workspace",
                        "office", "--json", home=data_home, env=store)
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)["retrievers"]
    assert metrics["lexical"]["hit@1"] >= 0.6 and metrics["hybrid"]["hit@10"] >= 0.8


def test_both_stores_rank_alike(pg_url: str, data_home: Path, monkeypatch, encoder):
    """The PostgreSQL store computes FTS5's BM25 itself: same items, same order, same
    scores as the SQLite file, for lexical, dense and hybrid search."""
    results = {}
    for name, url in (("sqlite", None), ("postgresql", pg_url)):
        if url:
            monkeypatch.setenv("PATENT_DESK_STORE", url)
        with Desk("same", encoder=encoder) as desk:
            desk.import_files(SMALL)
            results[name] = {
                (query, mode): [(h.item.question, h.score) for h in desk.search(query, 5, mode)]
                for query in (QUESTION, "專利師 執業", "专利师可以兼职吗", "annual fee")
                for mode in ("lexical", "dense", "hybrid")}
            items = [(it.question, it.answer) for it in desk.ws.iter_items()]
            results[name]["items"] = items  # type: ignore[assignment]
            # The Library's filter: the same items (FTS5 ranks a phrase, PostgreSQL its tokens)
            results[name]["filter"] = {  # type: ignore[assignment]
                it.question for it in desk.ws.get_items(item_ids(desk.ws, None, "技術報"))}
            results[name]["filter_count"] = len(item_ids(desk.ws, None, "技術報"))
    sqlite, postgresql = results["sqlite"], results["postgresql"]
    assert sqlite.keys() == postgresql.keys()
    for key, hits in sqlite.items():
        if isinstance(key, tuple):  # same items in the same order; scores equal but for the
            other = postgresql[key]  # last bits of two BM25 sums (rounding can split them)
            assert [q for q, _ in hits] == [q for q, _ in other], key
            assert [s for _, s in hits] == pytest.approx([s for _, s in other], abs=1e-3), key
        else:
            assert hits == postgresql[key], key


def test_tune_and_adapters_on_either_store(store: dict[str, str], encoder, tmp_path: Path):
    with Desk("office", encoder=encoder) as desk:
        desk.import_files(SMALL)
        options = desk.default_tune_options("query")
        quick = replace(options, max_train=64, train=replace(options.train, epochs=1))
        report = desk.tune(quick, llm_angles="off")
        [adapter] = AdapterStore(desk.ws).list()
        assert report.adapter_id == adapter.id and adapter.kind == "query"
        stored = sum(report.queries.stored.values())
        assert stored > 36 and report.queries.added == stored  # counted alike by both stores
        desk.activate_adapter(adapter.id)
        assert AdapterStore(desk.ws).active().id == adapter.id  # type: ignore[union-attr]
        assert desk.search(QUESTION, 1)[0].item.question.startswith("新型專利技術報告")
        measured = desk.evaluate(str(_small_queries(tmp_path)))
        assert measured["adapter"] == adapter.id and measured["retrievers"]["dense"]["hit@10"]
        desk.activate_adapter(None)
        assert AdapterStore(desk.ws).active() is None


def test_a_shared_workspaces_vectors_are_replaced_only_when_confirmed(
        pg_url: str, data_home: Path):
    """On a shared store the vectors are every seat's (#17 item 3): the CLI's set-encoder
    and a switch to a symmetric adapter ask first, and without a terminal they refuse in one
    line that says to add --yes; nothing is replaced."""
    on_pg = {"PATENT_DESK_STORE": pg_url}
    assert run_cli("import", str(SMALL[0]), home=data_home, env=on_pg).returncode == 0
    before = run_cli("search", QUESTION, "--json", home=data_home, env=on_pg).stdout
    refused = run_cli("models", "set-encoder", "/models/another-encoder", home=data_home,
                      env=on_pg)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines()[-1].endswith(
        "every seat of the shared store will need that encoder; add --yes to confirm: "
        "patent-desk models set-encoder /models/another-encoder --yes --workspace default")
    assert run_cli("search", QUESTION, "--json", home=data_home, env=on_pg).stdout == before
    symmetric = run_cli("tune", "--kind", "symmetric", home=data_home, env=on_pg)
    assert symmetric.returncode == 2 and "Traceback" not in symmetric.stderr
    assert symmetric.stderr.strip().splitlines()[-1].endswith(
        "add --yes to confirm: patent-desk tune --kind symmetric --yes --workspace default")


def test_workspaces_are_created_renamed_and_deleted(store: dict[str, str]):
    from core import workspaces

    workspaces.create_workspace("事務所 A")
    assert workspaces.list_workspaces() == ["事務所 A"]
    with pytest.raises(Exception, match="already exists"):
        workspaces.create_workspace("事務所 A")
    workspaces.rename_workspace("事務所 A", "firm-b")
    assert workspaces.list_workspaces() == ["firm-b"] and workspaces.workspace_exists("firm-b")
    workspaces.delete_workspace("firm-b")
    assert workspaces.list_workspaces() == []


def _same_results(shown: str, expected: str) -> bool:
    """The same entries in the same order with the same scores, to the float noise of two
    stores computing one cosine (pgvector and sqlite-vec differ in the last bits, which the
    z-scored fusion can carry into the 4th decimal)."""
    got, want = json.loads(shown)["results"], json.loads(expected)["results"]
    return [r["id"] for r in got] == [r["id"] for r in want] and all(
        abs(a["score"] - b["score"]) <= 2e-4 for a, b in zip(got, want, strict=True))


def test_migrate_store_there_and_back(pg_url: str, data_home: Path, tmp_path: Path):
    assert run_cli("import", *map(str, SMALL), home=data_home).returncode == 0
    before = run_cli("search", QUESTION, "--json", home=data_home).stdout
    moved = run_cli("migrate-store", "--to", pg_url, "--json", home=data_home)
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["items"] == 36
    on_pg = {"PATENT_DESK_STORE": pg_url}
    assert _same_results(run_cli("search", QUESTION, "--json", home=data_home, env=on_pg).stdout,
                         before)
    again = run_cli("migrate-store", "--to", pg_url, home=data_home)
    assert again.returncode == 2 and "already has 36 items" in again.stderr
    typo = run_cli("migrate-store", "--to", pg_url, "--workspace", "defualt", home=data_home)
    assert typo.returncode == 2 and "there is no workspace 'defualt'" in typo.stderr
    assert not (data_home / "workspaces" / "defualt.sqlite").exists()  # nothing created

    other_home = tmp_path / "laptop"
    back = run_cli("migrate-store", "--to", "sqlite", home=other_home, env=on_pg)
    assert back.returncode == 0, back.stderr
    assert _same_results(run_cli("search", QUESTION, "--json", home=other_home).stdout, before)
    added = run_cli("import", str(SMALL[0]), home=data_home, env=on_pg)
    assert "10 unchanged" in added.stdout  # the copied items keep their keys and hashes


def _shared_settings(url: str, workspace: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(f'SELECT key FROM "patent_desk:{workspace}".settings')}


def test_a_seats_llm_choices_stay_on_that_seat(pg_url: str, data_home: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch):
    """The LLM server, model path, threads and context size point one computer somewhere: a
    workspace moved to the shared store keeps them for the seat that moved it, and neither
    the shared tables nor any other seat receive them (#17)."""
    from core import workspaces
    from core.store import SQLITE
    from core.store import open as open_store
    from core.store.seat import MACHINE_SETTINGS

    assert run_cli("import", str(SMALL[0]), home=data_home).returncode == 0
    with open_store("default", SQLITE) as ws:
        ws.set_setting("llm.url", "http://10.0.0.9:8080/v1")
        ws.set_setting("llm.n_threads", 6)
    assert run_cli("migrate-store", "--to", pg_url, home=data_home).returncode == 0
    on_pg = {"PATENT_DESK_STORE": pg_url}
    seat_b = tmp_path / "seat-b"

    def llm_server(home: Path) -> str | None:
        shown = run_cli("models", "--json", home=home, env=on_pg)
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)["llm_url"]

    assert llm_server(data_home) == "http://10.0.0.9:8080/v1"
    assert llm_server(seat_b) is None  # the other seat is not redirected
    assert not _shared_settings(pg_url, "default") & set(MACHINE_SETTINGS)
    assert "models.encoder" not in MACHINE_SETTINGS  # the workspace's encoder stays shared

    monkeypatch.setenv("PATENT_DESK_HOME", str(seat_b))  # seat B chooses its own server
    with open_store("default", pg_url) as ws:
        ws.set_setting("llm.url", "http://127.0.0.1:9/v1")
        assert ws.get_setting("llm.n_threads") is None
    assert llm_server(data_home) == "http://10.0.0.9:8080/v1"
    assert not _shared_settings(pg_url, "default") & set(MACHINE_SETTINGS)
    back = run_cli("migrate-store", "--to", "sqlite", home=seat_b, env=on_pg)
    assert back.returncode == 0, back.stderr
    with open_store("default", SQLITE) as ws:  # seat B's own file: B's choice, none of A's
        assert ws.get_setting("llm.url") == "http://127.0.0.1:9/v1"
        assert ws.get_setting("llm.n_threads") is None

    monkeypatch.setenv("PATENT_DESK_HOME", str(data_home))
    monkeypatch.setenv("PATENT_DESK_STORE", pg_url)
    workspaces.rename_workspace("default", "office")  # a rename keeps this seat's choices
    assert llm_server(data_home) is None  # ("default" is a new, empty workspace now)
    with open_store("office", pg_url) as ws:
        assert ws.get_setting("llm.url") == "http://10.0.0.9:8080/v1"
    workspaces.delete_workspace("office")
    with open_store("office", pg_url) as ws:  # a workspace made again under the name starts clean
        assert ws.get_setting("llm.url") is None


def test_store_open_picks_the_shared_store_by_address(pg_url: str, data_home: Path,
                                                       monkeypatch: pytest.MonkeyPatch):
    """core.store.open with a postgresql:// address, or with that store in use, opens the
    workspace's schema there; 'sqlite' still opens this computer's file of the name."""
    from core import store
    from core.store.postgres import PgWorkspace

    monkeypatch.delenv("PATENT_DESK_STORE", raising=False)
    with store.open("office", pg_url) as ws:
        assert isinstance(ws, PgWorkspace) and isinstance(ws, store.WorkspaceStore)
        assert ws.path is None and "patent_desk:office" in ws.location
        ws.set_setting("x", 1)
    assert store.exists("office", pg_url) and store.names(pg_url) == ["office"]
    assert not store.exists("office") and store.names() == []  # the files: none there
    monkeypatch.setenv("PATENT_DESK_STORE", pg_url)
    with store.open("office") as ws:
        assert isinstance(ws, PgWorkspace) and ws.get_setting("x") == 1
    with store.open("office", store.SQLITE) as ws:
        assert ws.path == data_home / "workspaces" / "office.sqlite"
        assert ws.get_setting("x") is None


def test_an_unreachable_store_is_one_line(data_home: Path):
    dead = {"PATENT_DESK_STORE": "postgresql://nobody@127.0.0.1:9/none"}
    result = run_cli("workspaces", home=data_home, env=dead)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("error: cannot reach the PostgreSQL store") and "9" in line
    bad = run_cli("workspaces", home=data_home, env={"PATENT_DESK_STORE": "mysql://x"})
    assert bad.returncode == 2 and "must start with postgresql://" in bad.stderr
    backup = run_cli("backup", home=data_home, env=dead)
    assert backup.returncode == 2 and "pg_dump" in backup.stderr


def test_the_settings_dialog_chooses_the_store(qtbot, pg_url: str, monkeypatch):
    from core.shared_settings import shared_setting
    from desktop.settings import SettingsDialog

    monkeypatch.delenv("PATENT_DESK_STORE", raising=False)
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    assert dialog.store.text() == "" and not dialog.store.isReadOnly()
    dialog.store.setText("postgresql://nobody@127.0.0.1:9/none")
    dialog.accept()
    assert dialog.error.isVisibleTo(dialog) and "cannot reach" in dialog.error.text()
    assert shared_setting("store") is None  # refused: nothing saved
    dialog.store.setText(pg_url)
    dialog.accept()
    assert shared_setting("store") == pg_url and dialog.store_changed
    from core import workspaces

    workspaces.create_workspace("shared")  # every workspace now lives in PostgreSQL
    assert workspaces.list_workspaces() == ["shared"]
    monkeypatch.setenv("PATENT_DESK_STORE", "sqlite")  # off the office network: the files
    assert workspaces.list_workspaces() == []
    monkeypatch.delenv("PATENT_DESK_STORE")
    again = SettingsDialog()
    qtbot.addWidget(again)
    assert again.store.text() == pg_url
    again.store.clear()
    again.accept()
    assert shared_setting("store") is None and workspaces.list_workspaces() == []

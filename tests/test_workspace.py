"""Workspaces: where they live, the demo on first launch, migrations, WAL."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.desk import Desk
from core.errors import WorkspaceError
from core.store import open_workspace
from core.store.migrations import MIGRATIONS
from tests.conftest import run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def test_data_lives_under_patent_desk_home(data_home: Path):
    with open_workspace("alpha") as ws:
        assert ws.path == data_home / "workspaces" / "alpha.sqlite"
        assert ws.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ws.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_store_open_picks_this_computers_files_by_name_or_path(data_home: Path,
                                                              tmp_path: Path, monkeypatch):
    """core.store.open, the one place that picks the backend: a name in the store in use
    (here the files), a name in the files whatever store is in use ('sqlite', as
    `migrate-store --to` spells it), or a file's path, which is always a SQLite file."""
    from core import store

    monkeypatch.delenv("PATENT_DESK_STORE", raising=False)
    alpha = data_home / "workspaces" / "alpha.sqlite"
    with store.open("alpha") as ws:
        assert isinstance(ws, store.WorkspaceStore)
        assert (ws.path, ws.name, ws.location) == (alpha, "alpha", str(alpha))
        ws.set_setting("x", 1)
    elsewhere = tmp_path / "usb" / "firm.sqlite"
    elsewhere.parent.mkdir()
    for name in (elsewhere, str(elsewhere)):
        with store.open(name) as ws:
            assert (ws.path, ws.name) == (elsewhere, "firm")
    assert store.names() == ["alpha"] and store.exists("alpha") and not store.exists("firm")

    # With a shared store in use (unreachable here: nothing below may connect to it).
    monkeypatch.setenv("PATENT_DESK_STORE", "postgresql://nobody@127.0.0.1:9/none")
    with store.open("alpha", store.SQLITE) as ws:
        assert ws.path == alpha and ws.get_setting("x") == 1
    with store.open(alpha) as ws:
        assert ws.path == alpha
    assert store.names(store.SQLITE) == ["alpha"] and store.exists("alpha", store.SQLITE)
    with pytest.raises(WorkspaceError, match="cannot reach the PostgreSQL store"):
        store.open("alpha")
    with pytest.raises(WorkspaceError, match="is a workspace file"):
        store.open(elsewhere, "postgresql://nobody@127.0.0.1:9/none")
    with pytest.raises(WorkspaceError, match="must start with postgresql://"):
        store.open("alpha", "mysql://x")


def test_reopening_runs_no_migration_twice(data_home: Path):
    with open_workspace("beta") as ws:
        ws.set_setting("x", [1, "二"])
    with open_workspace("beta") as ws:
        assert ws.get_setting("x") == [1, "二"]


def test_first_use_of_demo_creates_it_from_the_bundled_corpus(data_home: Path, encoder):
    with Desk("demo", encoder=encoder) as desk:
        assert desk.ws.count_items() == 725
        assert {i.source_file for i in desk.ws.iter_items()} == {
            "patent_qa.csv", "utility_model_report_qa.csv", "patent_attorney_act_qa.csv"}


@pytest.mark.parametrize("name", ["../escape", "", ".hidden", "a/b"])
def test_unsafe_workspace_names_are_refused(name: str):
    with pytest.raises(WorkspaceError, match="not allowed"):
        open_workspace(name)


def test_workspaces_are_listed(data_home: Path, demo_workspace: str):
    result = run_cli("workspaces", home=data_home)
    assert result.returncode == 0
    assert "demo: 725 items" in result.stdout


def test_a_damaged_workspace_file_is_a_clear_error(data_home: Path):
    target = data_home / "workspaces"
    target.mkdir(parents=True)
    (target / "broken.sqlite").write_bytes(b"this is not a database" * 100)
    result = run_cli("search", "x", "--workspace", "broken", home=data_home)
    assert result.returncode == 2
    assert "cannot open workspace file" in result.stderr and "Traceback" not in result.stderr

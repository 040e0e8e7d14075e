"""Backups with SQLite's online backup API, restores, and the automatic backup before a
schema migration; a migration that fails leaves the old file exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlean as sqlite3

from core.errors import WorkspaceError
from core.ingest.importer import import_file
from core.store import migrations, open_workspace
from core.store.migrations import MIGRATIONS
from tests.conftest import DEMO_DIR, run_cli, workspace_content


def _make(name: str, *files: str) -> Path:
    with open_workspace(name) as ws:
        for file in files:
            import_file(ws, DEMO_DIR / file)
        return ws.path


def _version(path: Path) -> int:
    db = sqlite3.connect(str(path))
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_backup_and_restore_from_the_cli(tmp_path: Path, data_home: Path):
    path = _make("firm", "patent_attorney_act_qa.csv")
    saved = workspace_content(path)
    made = run_cli("backup", "--workspace", "firm", "--json", home=data_home)
    assert made.returncode == 0, made.stderr
    backup = Path(json.loads(made.stdout)["file"])
    assert backup.parent == data_home / "backups" and json.loads(made.stdout)["items"] == 10
    assert workspace_content(backup) == saved
    assert not Path(f"{backup}-wal").exists()  # one self-contained file
    named = run_cli("backup", "--workspace", "firm", "--to", str(tmp_path / "b.sqlite"),
                    home=data_home)
    assert named.returncode == 0 and f"(10 items) to {tmp_path / 'b.sqlite'}" in named.stdout

    with open_workspace("firm") as ws:  # work goes on after the backup
        import_file(ws, DEMO_DIR / "utility_model_report_qa.csv")
    changed = workspace_content(path)
    restored = run_cli("restore", str(backup), "--workspace", "firm", home=data_home)
    assert restored.returncode == 0, restored.stderr
    assert "restored workspace 'firm'" in restored.stdout and "(10 items)" in restored.stdout
    assert workspace_content(path) == saved
    replaced = Path(restored.stdout.split("was saved to ")[1].splitlines()[0].strip())
    assert workspace_content(replaced) == changed  # nothing is lost by a restore either
    search = run_cli("search", "專利師", "--mode", "lexical", "-w", "firm", home=data_home)
    assert search.returncode == 0 and "專利師" in search.stdout


def test_restore_refuses_what_is_not_a_workspace_and_changes_nothing(tmp_path: Path,
                                                                     data_home: Path):
    path = _make("firm", "patent_attorney_act_qa.csv")
    before = workspace_content(path)
    garbage = tmp_path / "notes.sqlite"
    garbage.write_bytes(b"just some text, not a database" * 50)
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(str(other))
    db.execute("CREATE TABLE t(x)")
    db.commit()
    db.close()
    newer = tmp_path / "newer.sqlite"
    run_cli("backup", "-w", "firm", "--to", str(newer), home=data_home)
    db = sqlite3.connect(str(newer))
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    db.close()
    for file, says in ((garbage, "not an SQLite file"), (other, "not a Patent Desk workspace"),
                       (newer, "written by a newer Patent Desk"),
                       (tmp_path / "missing.sqlite", "no such file")):
        result = run_cli("restore", str(file), "--workspace", "firm", home=data_home)
        assert result.returncode == 2, result.stdout
        assert says in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert workspace_content(path) == before
    assert not list((data_home / "backups").glob("firm-before-restore-*"))


def test_a_backup_taken_during_a_write_holds_only_committed_data(tmp_path: Path,
                                                                 data_home: Path):
    path = _make("firm", "patent_attorney_act_qa.csv")
    committed = workspace_content(path)
    with open_workspace("firm") as writer:
        writer.db.execute("BEGIN IMMEDIATE")
        writer.set_setting("half-done", True)
        result = run_cli("backup", "-w", "firm", "--to", str(tmp_path / "b.sqlite"),
                         home=data_home)
        writer.db.execute("ROLLBACK")
    assert result.returncode == 0, result.stderr
    assert workspace_content(tmp_path / "b.sqlite") == committed


def _old_format_workspace(path: Path) -> None:
    """A workspace as the first release wrote it (schema version 1) with some items."""
    db = sqlite3.connect(str(path), isolation_level=None)
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO settings VALUES ('x', '1')")
    db.execute("INSERT INTO items(question, answer, question_key, content_hash, imported_at,"
               " updated_at) VALUES ('q', 'a', 'q', 'h', 'now', 'now')")
    db.close()


def test_an_upgrade_backs_up_the_old_file_first(data_home: Path):
    path = data_home / "workspaces" / "old.sqlite"
    path.parent.mkdir(parents=True)
    _old_format_workspace(path)
    before = workspace_content(path)
    with open_workspace("old") as ws:
        assert ws.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert ws.count_items() == 1
    [backup] = (data_home / "backups").glob("old-before-upgrade-from-v1-*.sqlite")
    assert _version(backup) == 1 and workspace_content(backup) == before


def test_a_failing_migration_leaves_the_old_file_intact(data_home: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    path = data_home / "workspaces" / "old.sqlite"
    path.parent.mkdir(parents=True)
    _old_format_workspace(path)
    before = workspace_content(path)

    def m_broken(db: object) -> None:
        db.execute("CREATE TABLE half_done (x)")  # type: ignore[attr-defined]
        db.execute("DELETE FROM items")  # type: ignore[attr-defined]
        raise RuntimeError("simulated bug in a new migration")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, m_broken])
    with pytest.raises(WorkspaceError) as caught:
        open_workspace("old")
    message = str(caught.value)
    assert "cannot upgrade workspace file" in message and "left exactly as it was" in message
    assert "m_broken" in message and "\n" not in message
    assert _version(path) == 1 and workspace_content(path) == before
    assert list((data_home / "backups").glob("old-before-upgrade-from-v1-*.sqlite"))
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    with open_workspace("old") as ws:  # the released migrations still apply afterwards
        assert ws.count_items() == 1


def test_a_file_from_a_newer_version_is_refused_clearly(data_home: Path):
    path = _make("future", "patent_attorney_act_qa.csv")
    db = sqlite3.connect(str(path))
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    result = run_cli("search", "專利", "--mode", "lexical", "-w", "future", home=data_home)
    assert result.returncode == 2 and "written by a newer Patent Desk" in result.stderr
    assert result.stderr.count("\n") == 1

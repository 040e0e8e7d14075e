"""Creating, renaming and deleting workspaces (core.workspaces) on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import WorkspaceError
from core.store import open_workspace
from core.workspaces import (
    create_workspace,
    delete_workspace,
    list_workspaces,
    rename_workspace,
    workspace_exists,
)


def _one_line(exc: pytest.ExceptionInfo[WorkspaceError]) -> str:
    message = str(exc.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_create_lists_the_new_empty_workspace(data_home: Path):
    assert create_workspace(" 事務所 A ") == "事務所 A"
    assert list_workspaces() == ["事務所 A"]
    with open_workspace("事務所 A") as ws:
        assert ws.count_items() == 0
    with pytest.raises(WorkspaceError) as exc:
        create_workspace("事務所 A")
    assert "already exists" in _one_line(exc)
    with pytest.raises(WorkspaceError) as exc:
        create_workspace("../escape")
    assert "not allowed" in _one_line(exc)
    assert list_workspaces() == ["事務所 A"]


def test_rename_keeps_the_content_and_all_side_files(data_home: Path):
    with open_workspace("old") as ws:
        ws.set_setting("kept", "yes")
    wal = data_home / "workspaces" / "old.sqlite-wal"
    wal.write_bytes(b"")  # a WAL left by a crash must travel with its database
    assert rename_workspace("old", "new") == "new"
    assert list_workspaces() == ["new"]
    assert not wal.exists() and (data_home / "workspaces" / "new.sqlite-wal").exists()
    with open_workspace("new") as ws:
        assert ws.get_setting("kept") == "yes"
    assert rename_workspace("new", "new") == "new"


def test_rename_refuses_a_taken_or_bad_name_and_changes_nothing(data_home: Path):
    create_workspace("a")
    create_workspace("b")
    for new, words in (("b", "already exists"), ("B", "already exists"),
                       ("a/b", "not allowed"), ("", "not allowed")):
        with pytest.raises(WorkspaceError) as exc:
            rename_workspace("a", new)
        assert words in _one_line(exc)
    with pytest.raises(WorkspaceError) as exc:
        rename_workspace("missing", "c")
    assert "there is no workspace 'missing'; choose one of: a, b" == _one_line(exc)
    assert list_workspaces() == ["a", "b"]


def test_delete_removes_the_workspace_for_good(data_home: Path):
    create_workspace("gone")
    create_workspace("stays")
    delete_workspace("gone")
    assert list_workspaces() == ["stays"] and not workspace_exists("gone")
    assert not list((data_home / "workspaces").glob("gone*"))
    with pytest.raises(WorkspaceError) as exc:
        delete_workspace("gone")
    assert "there is no workspace 'gone'" in _one_line(exc)

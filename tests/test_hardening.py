"""Smaller holes of the security review (#17 point 5): workspace names that are no file on
Windows or carry a newline, a GGUF nested to overflow the checker, a kill while settings.json
is written, and jieba's cache in the shared /tmp."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from core import shared_settings
from core.errors import ModelError, WorkspaceError
from core.models.gguf import check_complete
from core.store import open_workspace
from core.workspaces import create_workspace, list_workspaces
from tests.conftest import run_cli


@pytest.mark.parametrize("name", ["firm\n", "CON", "nul", "Com1", "LPT9.old", "aux.sqlite",
                                  "firm.", "firm "])
def test_names_windows_cannot_store_or_that_end_in_a_newline_are_refused(
        data_home: Path, name: str):
    with pytest.raises(WorkspaceError, match="is not allowed"):
        open_workspace(name)  # as `--workspace NAME` reaches it: no file is created
    assert list_workspaces() == []
    if name.strip() != name:  # typed into the window: trimmed first, then fine
        assert create_workspace(name) == name.strip()


def test_a_refused_name_is_one_line_from_the_cli(data_home: Path):
    result = run_cli("import", "x.csv", "-w", "CON", home=data_home)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: workspace name 'CON' is not allowed: Windows reserves it for a device; "
        "choose another name"]


def _nested_gguf(path: Path, depth: int) -> Path:
    """A GGUF v3 header whose one metadata value is an array of arrays of … `depth` deep."""
    key = b"evil.nesting"
    body = struct.pack("<Q", len(key)) + key + struct.pack("<I", 9)  # type: array
    body += b"".join(struct.pack("<IQ", 9, 1) for _ in range(depth))  # array of 1 array
    body += struct.pack("<IQ", 4, 0)  # finally an empty uint32 array
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + body)
    return path


def test_a_gguf_nested_to_overflow_the_checker_is_one_line(tmp_path: Path):
    path = _nested_gguf(tmp_path / "nested.gguf", 100_000)
    with pytest.raises(ModelError) as exc:
        check_complete(path)
    assert str(exc.value) == (f"{path} is a damaged GGUF file (metadata arrays nested too "
                              "deeply); get the file again")


def test_a_kill_while_settings_are_written_leaves_the_old_file(data_home: Path):
    shared_settings.set_shared_setting("store", "sqlite")
    before = shared_settings.settings_file().read_text("utf-8")
    script = ("import os, signal\n"
              "from core import shared_settings\n"
              "real = os.replace\n"
              "def killed(*_a):\n"  # the moment between writing and swapping in
              "    os.kill(os.getpid(), signal.SIGKILL)\n"
              "os.replace = killed\n"
              "shared_settings.set_shared_setting('verbose', True)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PATENT_DESK_HOME": str(data_home)}, check=False)
    assert done.returncode == -9
    assert shared_settings.settings_file().read_text("utf-8") == before
    assert json.loads(before) == {"store": "sqlite"}
    shared_settings.set_shared_setting("verbose", True)  # and a write that is not killed lands
    assert json.loads(shared_settings.settings_file().read_text("utf-8")) == {"store": "sqlite",
                                                                            "verbose": True}


def test_jiebas_cache_lives_in_the_data_home_not_in_tmp(data_home: Path):
    script = ("from core.augment.rules import RuleAngles\n"
              "print(RuleAngles(['專利']).keyword('新型專利技術報告有什麼用途'))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**{k: v for k, v in os.environ.items()
                                  if k != "PATENT_DESK_CACHE"},  # the suite's shared one
                               "PATENT_DESK_HOME": str(data_home)}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert (data_home / "cache" / "jieba.cache").is_file()


def test_the_store_password_is_kept_apart_from_settings_json(data_home: Path,
                                                            monkeypatch: pytest.MonkeyPatch):
    from core.store.address import STORE_ENV, remember_store, store_url

    monkeypatch.delenv(STORE_ENV, raising=False)
    remember_store("postgresql://alice:s%3Ecret@db.example:5432/patentdesk")
    settings = shared_settings.settings_file().read_text("utf-8")
    assert "cret" not in settings
    assert json.loads(settings)["store"] == "postgresql://alice@db.example:5432/patentdesk"
    secret = data_home / "store-passwords.json"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert json.loads(secret.read_text("utf-8")) == {
        "postgresql://alice@db.example:5432/patentdesk": "s>cret"}
    assert store_url() == "postgresql://alice:s%3Ecret@db.example:5432/patentdesk"
    remember_store("postgresql://bob@other.example/patentdesk")  # .pgpass supplies it
    assert store_url() == "postgresql://bob@other.example/patentdesk"
    remember_store(None)
    assert store_url() is None

"""A full disk and a read-only data folder: one clear line, exit status 2, nothing half
written. Real file systems where the machine allows it (a small tmpfs, a read-only mount, or
chmod when not root); SQLite's max_page_count gives the same SQLITE_FULL in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.desk import Desk
from core.errors import WorkspaceError
from core.ingest.importer import import_file
from core.store import Workspace, open_workspace
from tests.conftest import DEMO_DIR, run_cli, workspace_content


def _mount(*args: str) -> bool:
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def big_file(folder: Path, rows: int = 6) -> Path:
    """Few items (cheap to embed: questions are short) holding a lot of text."""
    path = folder / "big.csv"
    lines = ["question,answer"] + [f"大檔案問題 {n},{'專利說明' * 7000}" for n in range(rows)]
    path.write_text("\n".join(lines), "utf-8")
    return path


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture
def full_disk(tmp_path: Path, encoder) -> Iterator[Path]:
    """A data home on an 8 MB tmpfs holding a workspace, then filled up to ~300 KB free."""
    home = tmp_path / "small-disk"
    home.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(home)):
        pytest.skip("cannot mount a small tmpfs here (needs root); see the max_page_count test")
    try:
        os.environ["PATENT_DESK_HOME"] = str(home)
        with Desk("firm", encoder=encoder) as desk:
            desk.import_files([DEMO_DIR / "patent_attorney_act_qa.csv"])
        stat = os.statvfs(home)
        (home / "filler").write_bytes(b"\0" * max(0, stat.f_bavail * stat.f_frsize - 300_000))
        yield home
    finally:
        _umount(home)


def test_disk_full_during_import_is_one_line_and_changes_nothing(tmp_path: Path,
                                                                full_disk: Path, encoder):
    path = full_disk / "workspaces" / "firm.sqlite"
    (full_disk / "filler").rename(full_disk / "filler.keep")  # read the 'before' with room
    before = workspace_content(path)
    (full_disk / "filler.keep").rename(full_disk / "filler")
    result = run_cli("import", str(big_file(tmp_path)), "-w", "firm", home=full_disk)
    assert result.returncode == 2
    line = _one_error_line(result.stderr)
    assert f"the disk holding {path} is full (nothing was changed)" in line, line
    (full_disk / "filler").unlink()
    assert workspace_content(path) == before
    with Workspace(path) as ws:
        assert ws.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Desk("firm", encoder=encoder) as desk:  # with room again, the same import works
        assert desk.import_files([big_file(tmp_path)])[0].added == 6


def test_sqlite_full_from_max_page_count_takes_the_same_path(tmp_path: Path, data_home: Path,
                                                             encoder):
    with Desk("firm", encoder=encoder) as desk:
        desk.import_files([DEMO_DIR / "patent_attorney_act_qa.csv"])
        before = workspace_content(desk.ws.path)
        pages = desk.ws.db.execute("PRAGMA page_count").fetchone()[0]
        desk.ws.db.execute(f"PRAGMA max_page_count = {pages + 8}")
        with pytest.raises(WorkspaceError) as caught:
            desk.import_files([big_file(tmp_path)])
        assert str(caught.value) == (f"the disk holding {desk.ws.path} is full (nothing was "
                                     "changed); free some space and try again")
        assert desk.ws.count_items() == 10
    assert workspace_content(data_home / "workspaces" / "firm.sqlite") == before


@pytest.fixture
def read_only_home(tmp_path: Path) -> Iterator[Path]:
    """A data home with a workspace, made read-only (a read-only mount as root, else chmod)."""
    home = tmp_path / "ro-home"
    home.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(home))
    if not mounted and os.geteuid() == 0:
        pytest.skip("root ignores chmod and mounting is not allowed here")
    os.environ["PATENT_DESK_HOME"] = str(home)
    with open_workspace("firm") as ws:
        import_file(ws, DEMO_DIR / "patent_attorney_act_qa.csv")
    try:
        if mounted:
            assert _mount("-o", "remount,ro", str(home))
        else:
            for folder in (home, home / "workspaces"):
                folder.chmod(0o555)
            (home / "workspaces" / "firm.sqlite").chmod(0o444)
        yield home
    finally:
        if mounted:
            _umount(home)
        else:
            for folder in (home, home / "workspaces"):
                folder.chmod(0o755)


def _listing(home: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(home)), p.stat().st_size) for p in home.rglob("*"))


def test_a_read_only_data_home_is_one_line_and_left_as_it_was(tmp_path: Path,
                                                              read_only_home: Path):
    before = _listing(read_only_home)
    source = tmp_path / "faq.csv"
    shutil.copy(DEMO_DIR / "utility_model_report_qa.csv", source)
    for args in (("import", str(source), "-w", "new"),
                 ("import", str(source), "-w", "firm"),
                 ("search", "專利師", "--mode", "lexical", "-w", "firm"),
                 ("backup", "-w", "firm")):
        result = run_cli(*args, home=read_only_home)
        assert result.returncode == 2, (args, result.stdout)
        line = _one_error_line(result.stderr)
        assert f"the data folder {read_only_home}" in line and "is read-only" in line, line
        assert "PATENT_DESK_HOME" in line
    assert _listing(read_only_home) == before

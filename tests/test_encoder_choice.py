"""Choosing the encoder: new workspaces get multilingual-e5, a workspace embedded with the
earlier default keeps it (its vectors and adapters stay valid), and moving to another encoder
re-embeds first, so that Cancel leaves everything as it was."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.desk import Desk
from core.errors import Cancelled
from tests.conftest import json_lines, run_cli, workspace_content

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def test_the_demo_opens_with_multilingual_e5(data_home: Path, demo_workspace: str):
    shown = run_cli("models", "--json", "--workspace", demo_workspace, home=data_home)
    assert shown.returncode == 0, shown.stderr
    [info] = json_lines(shown.stdout)
    assert info["encoder"] == "bundled:multilingual-e5-small"
    assert not any("cannot read" in w for w in info["warnings"])


def test_a_workspace_embedded_with_minilm_keeps_it(data_home: Path, weak_demo_workspace: str):
    with Desk(weak_demo_workspace) as desk:
        desk.ws.delete_setting("models.encoder")  # as a workspace from before e5 looks
    before = workspace_content(data_home / "workspaces" / f"{weak_demo_workspace}.sqlite")
    result = run_cli("search", "專利年費", "--workspace", weak_demo_workspace, home=data_home)
    assert result.returncode == 0, result.stderr
    assert "embedding" not in result.stderr  # nothing was re-embedded
    with Desk(weak_demo_workspace) as desk:
        assert desk.ws.get_setting("models.encoder") == "bundled:all-MiniLM-L6-v2"
        assert desk.ws.vector_encoder() == "bundled:all-MiniLM-L6-v2"
    after = workspace_content(data_home / "workspaces" / f"{weak_demo_workspace}.sqlite")
    assert [t for t in after if t[0] != "settings"] == [t for t in before if t[0] != "settings"]


def test_moving_to_e5_re_embeds_and_cancel_changes_nothing(data_home: Path,
                                                           weak_demo_workspace: str, encoder):
    path = data_home / "workspaces" / f"{weak_demo_workspace}.sqlite"
    before = workspace_content(path)
    cancel = threading.Event()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "embedding" and done >= 64:
            cancel.set()

    with Desk(weak_demo_workspace, progress=progress, cancel=cancel) as desk:
        with pytest.raises(Cancelled):
            desk.set_model("encoder", "bundled:multilingual-e5-small")
        assert desk.search("專利年費", 3)  # the old vectors still answer
    assert workspace_content(path) == before
    moved = run_cli("models", "set-encoder", "bundled", "--workspace", weak_demo_workspace,
                    home=data_home)
    assert moved.returncode == 0, moved.stderr
    assert "embedding" in moved.stderr  # progress, as the user sees it
    with Desk(weak_demo_workspace, encoder=encoder) as desk:
        assert desk.ws.get_setting("models.encoder") is None  # follows the default again
        assert desk.ws.vector_encoder() == "bundled:multilingual-e5-small"
        assert not any("cannot read" in w for w in desk.warnings())

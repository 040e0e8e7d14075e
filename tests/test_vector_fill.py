"""Search works at once: imported entries answer lexically before any vector exists, the
dense channel joins batch by batch, a fill resumes after Cancel or a kill, and a batch from
an encoder the workspace no longer uses is never stored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core import vectors
from core.desk import Desk
from core.errors import Cancelled
from core.store import open_workspace
from tests.conftest import DEMO_DIR, run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

SMALL = DEMO_DIR / "utility_model_report_qa.csv"  # 26 entries
LARGE = DEMO_DIR / "patent_qa.csv"  # about 690 entries: embedding takes seconds
QUESTION = "新型專利技術報告要怎麼申請"


def _cancel_after_first_batch() -> tuple[vectors.Progress, threading.Event]:
    cancel = threading.Event()

    def progress(_stage: str, done: int, _total: int) -> None:
        if done > 0:
            cancel.set()

    return progress, cancel


def test_entries_answer_lexically_at_once_and_dense_joins_as_batches_commit(
        data_home: Path, encoder):
    with Desk("firm", encoder=encoder) as desk:
        (report,) = desk.import_files([SMALL], fill=False)
        assert report.added == 26
        assert desk.semantic_state() == vectors.FillState(0, 26)
        assert "semantic search: 0% ready" in desk.semantic_note()
        hits = desk.search(QUESTION)
        assert hits and all(set(h.channels) == {"lexical"} for h in hits)
        answer = desk.ask(QUESTION)
        assert answer.citations, answer.text

        progress, cancel = _cancel_after_first_batch()
        with pytest.raises(Cancelled):
            vectors.fill_missing(desk.ws, desk.encoder, progress=progress, cancel=cancel,
                                 batch=8)
        state = desk.semantic_state()
        assert state == vectors.FillState(8, 26)  # the committed batch stays
        embedded = set(desk.ws.item_ids()) - set(desk.ws.ids_without_vectors())
        hits = desk.search(QUESTION, k=26)
        dense = {h.item.id for h in hits if "dense" in h.channels}
        assert dense and dense <= embedded  # dense reads what is embedded, and only that
        assert {h.item.id for h in hits} - embedded  # lexical still finds the rest

    cli = run_cli("search", QUESTION, "-w", "firm", home=data_home)
    assert cli.returncode == 0, cli.stderr
    assert "note: semantic search: 30% ready (8 of 26 entries embedded)" in cli.stderr
    assert "patent-desk embed --workspace firm" in cli.stderr

    done = run_cli("embed", "-w", "firm", home=data_home)
    assert done.returncode == 0, done.stderr
    assert "18 entries embedded; semantic search: 100% ready" in done.stdout
    with Desk("firm", encoder=encoder) as desk:
        assert desk.ws.ids_without_vectors() == [] and desk.semantic_note() is None
        assert desk.ws.get_setting("fusion")["items"] == 26  # measured once the fill completed


def test_a_batch_embedded_for_another_encoder_is_never_stored(data_home: Path, encoder):
    with Desk("firm", encoder=encoder) as desk:
        desk.import_files([SMALL], fill=False)
        ws = desk.ws

        def progress(_stage: str, done: int, _total: int) -> None:
            if done > 0:  # another seat moved the workspace to its encoder meanwhile
                ws.set_setting("vectors.encoder", "bundled:some-other-encoder")

        with pytest.raises(vectors.StaleEncoder, match="were not stored"):
            vectors.fill_missing(ws, desk.encoder, progress=progress, batch=8)
        assert ws.count_vectors() == 8  # the first batch, stored while it was e5's


def test_a_batch_embedded_by_other_weights_of_the_same_encoder_is_never_stored(
        data_home: Path, encoder):
    """Same encoder name, other weights (a seat whose local folder was replaced): the
    batches go in only while the workspace's vectors are these weights' (#17 item 3)."""
    with Desk("firm", encoder=encoder) as desk:
        desk.import_files([SMALL], fill=False)
        ws = desk.ws

        def progress(_stage: str, done: int, _total: int) -> None:
            if done > 0:
                ws.set_setting(vectors.FINGERPRINT, "0" * 64)

        with pytest.raises(vectors.StaleEncoder, match="other weights"):
            vectors.fill_missing(ws, desk.encoder, progress=progress, batch=8)
        assert ws.count_vectors() == 8


def test_an_edited_question_is_embedded_again_and_an_answer_edit_keeps_its_vector(
        data_home: Path, encoder):
    with Desk("firm", encoder=encoder) as desk:
        desk.import_files([SMALL])
        first = desk.ws.get_items(desk.ws.item_ids()[:1])[0]
        before = desk.ws.get_vectors([first.id])[0]
        desk.update_item(first.id, first.question, first.answer + "（補充）")
        assert (desk.ws.get_vectors([first.id])[0] == before).all()
        desk.update_item(first.id, "新型專利技術報告可以請別人代為申請嗎？", first.answer)
        assert desk.semantic_state().complete
        assert not (desk.ws.get_vectors([first.id])[0] == before).all()


def test_a_killed_fill_resumes_where_it_stopped(data_home: Path, encoder):
    with Desk("firm", encoder=encoder) as desk:
        (report,) = desk.import_files([LARGE], fill=False)
        total = report.added
    exe = Path(sys.executable).with_name("patent-desk")
    fill = subprocess.Popen([str(exe), "embed", "-w", "firm"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PATENT_DESK_HOME": str(data_home)})
    with open_workspace("firm") as ws:
        deadline = time.monotonic() + 300
        while ws.count_vectors() == 0 and fill.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        fill.send_signal(signal.SIGKILL)
        fill.communicate()
        kept = ws.count_vectors()
    assert kept > 0  # committed batches survive the kill
    resumed = run_cli("embed", "-w", "firm", "--json", home=data_home)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result == {"embedded": total - kept, "done": total, "total": total}


def _on_a_terminal(args: list[str], home: Path, typed: str) -> tuple[int, str]:
    """Run the CLI with a terminal as its stdin, `typed` already typed; (status, output)."""
    import pty

    terminal, its_end = pty.openpty()
    os.write(terminal, typed.encode())  # waits in the terminal until the CLI reads it
    exe = Path(sys.executable).with_name("patent-desk")
    done = subprocess.run([str(exe), *args], stdin=its_end, capture_output=True, text=True,
                          env={**os.environ, "PATENT_DESK_HOME": str(home)}, timeout=600,
                          check=False)
    os.close(its_end)
    os.close(terminal)
    return done.returncode, done.stdout + done.stderr


def test_another_seats_vectors_are_never_replaced_behind_its_back(data_home: Path, encoder):
    """A shared workspace embedded by a seat with another encoder: this seat searches
    lexically and says why; its fill, import and tuning leave those vectors alone; only an
    explicit `embed --re-embed` replaces them."""
    with Desk("firm", encoder=encoder) as desk:
        desk.import_files([SMALL])
        desk.ws.set_setting("vectors.encoder", "bundled:the-other-seats-encoder")
        assert desk.search(QUESTION) and all(set(h.channels) == {"lexical"}
                                             for h in desk.search(QUESTION))
        assert desk.fill_vectors() == 0
        assert "made by bundled:the-other-seats-encoder" in desk.warnings()[0]
    cli = run_cli("search", QUESTION, "-w", "firm", home=data_home)
    assert cli.returncode == 0, cli.stderr
    assert ("note: semantic search is off: this workspace's vectors were made by "
            "bundled:the-other-seats-encoder, and this computer uses "
            "bundled:multilingual-e5-small") in cli.stderr
    for command in (["embed"], ["tune", "--llm-angles", "off"]):
        refused = run_cli(*command, "-w", "firm", home=data_home)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert "patent-desk embed --re-embed --workspace firm" in refused.stderr
    with open_workspace("firm") as ws:
        assert ws.vector_encoder() == "bundled:the-other-seats-encoder"  # left alone
    unconfirmed = run_cli("embed", "--re-embed", "-w", "firm", home=data_home)
    assert unconfirmed.returncode == 2 and "Traceback" not in unconfirmed.stderr
    assert unconfirmed.stderr.strip().splitlines()[-1] == (
        "error: workspace 'firm' holds vectors made by bundled:the-other-seats-encoder; "
        "--re-embed embeds all 26 entries again with this computer's encoder; add --yes to "
        "confirm: patent-desk embed --re-embed --yes --workspace firm")
    with open_workspace("firm") as ws:
        assert ws.vector_encoder() == "bundled:the-other-seats-encoder"  # asked, not done
    if sys.platform != "win32":  # on a terminal it asks; no (the default) changes nothing
        code, said = _on_a_terminal(["embed", "--re-embed", "-w", "firm"], data_home, "\n")
        assert code == 2 and "26 entries again" in said and "Re-embed? [y/N]" in said, said
        assert "error: nothing was re-embedded" in said
    redone = run_cli("embed", "--re-embed", "--yes", "-w", "firm", home=data_home)
    assert redone.returncode == 0, redone.stderr
    assert "26 entries embedded; semantic search: 100% ready" in redone.stdout


def test_a_seat_without_the_workspaces_encoder_searches_lexically(data_home: Path, encoder):
    with Desk("firm", encoder=encoder) as desk:
        desk.import_files([SMALL])
        desk.ws.set_setting("models.encoder", "/models/only-on-the-other-seat")
        assert desk.search(QUESTION) and desk.semantic_state().share == 0.0
    text = run_cli("search", QUESTION, "-w", "firm", home=data_home)
    assert ("note: semantic search is off (encoder folder /models/only-on-the-other-seat does "
            "not exist; choose a model folder)") in text.stderr


def test_embed_on_a_fresh_computer_creates_the_demo_workspace_first(data_home: Path):
    """`--workspace demo` means the bundled demo everywhere: a command that opens it before
    the window ever did builds it from the bundled files instead of saying it is missing;
    any other missing name is still refused with the command that lists workspaces."""
    missing = run_cli("embed", "-w", "nowhere", home=data_home)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "there is no workspace 'nowhere'; see: patent-desk workspaces" in missing.stderr
    demo = run_cli("embed", "-w", "demo", "--json", home=data_home)
    assert demo.returncode == 0, demo.stderr
    state = json.loads(demo.stdout)
    assert state["done"] == state["total"] == 725

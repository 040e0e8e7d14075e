"""Server mode for the LLM: a real `python -m llama_cpp.server` on 127.0.0.1 serving the
bundled GGUF, and Patent Desk answering and writing query angles through it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.augment.llm_angles import ROLES, LLMAngles
from core.desk import Desk
from core.errors import ModelError
from core.models import bundled_llm
from core.models.remote_llm import RemoteLLM
from core.records import Item
from tests.conftest import run_cli
from tests.test_answer import ENGLISH_FAQ

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_llm().path),
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--seed", "7"],
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):  # loading a 100 MB GGUF takes seconds; a busy CI machine more
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def english_faq(tmp_path: Path) -> Path:
    f = tmp_path / "faq.csv"
    f.write_text(ENGLISH_FAQ, encoding="utf-8")
    return f


def test_ask_generates_a_cited_answer_through_the_server(server_url: str, english_faq: Path,
                                                         data_home: Path):
    assert run_cli("import", str(english_faq), home=data_home).returncode == 0
    result = run_cli("ask", "How long does an invention patent last?", "--mode", "generate",
                     "--json", home=data_home, env={"PATENT_DESK_LLM_URL": server_url})
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["mode"] == "generate" and answer["model"].endswith(f"@ {server_url}")
    term = next(r["id"] for r in answer["results"] if "20 years" in r["answer"])
    assert term in answer["citations"] and "20" in answer["answer"]


def test_the_server_setting_is_kept_per_workspace_and_can_be_cleared(
        server_url: str, english_faq: Path, data_home: Path, encoder):
    with Desk("en", encoder=encoder) as desk:
        desk.import_files([english_faq])
        desk.set_llm_url(server_url + "/")
        pieces: list[str] = []
        answer = desk.ask("Can I file a patent application online?", "generate",
                          on_token=pieces.append)
        assert len(pieces) > 3 and answer.citations and "@ http://127.0.0.1" in answer.model
    shown = run_cli("models", "--workspace", "en", "--json", home=data_home)
    assert json.loads(shown.stdout)["llm_url"] == server_url
    cleared = run_cli("models", "set-llm-url", "none", "--workspace", "en", home=data_home)
    assert cleared.returncode == 0 and "llm server" not in cleared.stdout


def test_query_angles_are_written_by_the_served_model(server_url: str):
    llm = RemoteLLM(server_url)
    assert 3 <= llm.count_tokens("How long does a patent last?") <= 12  # the server's tokenizer
    item = Item(41, "How long does an invention patent last?",
                "An invention patent lasts 20 years from the filing date.", "", "", 0, "", "", "")
    angles = LLMAngles(llm, k=2, max_tokens=64)
    queries, stats = angles.generate(item)
    assert list(stats) == list(ROLES) and queries
    assert all(q.item_id == 41 and q.text != item.question for q in queries)
    assert angles.tokens_per_second > 0


def test_an_unreachable_server_is_one_line_and_changes_nothing(english_faq: Path,
                                                              data_home: Path):
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    assert run_cli("import", str(english_faq), home=data_home).returncode == 0
    result = run_cli("models", "set-llm-url", dead, home=data_home)
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert error.startswith(f"error: cannot reach the LLM server at {dead}; start it")
    shown = json.loads(run_cli("models", "--json", home=data_home).stdout)
    assert shown["llm_url"] is None
    asked = run_cli("ask", "How long does a patent last?", "--mode", "generate",
                    home=data_home, env={"PATENT_DESK_LLM_URL": dead})
    assert asked.returncode == 2 and "cannot reach the LLM server" in asked.stderr
    with pytest.raises(ModelError, match="must start with http"):
        RemoteLLM("127.0.0.1:8000/v1")


def test_models_page_sets_and_refuses_a_server(qtbot, server_url: str,
                                               small_tipo_workspace: str):
    from PySide6.QtCore import Qt

    from tests.desktop_helpers import wait_idle
    from tests.test_desktop_models import open_models_page

    window, page = open_models_page(qtbot, small_tipo_workspace)
    assert page.server.text() == "" and not page.server.isReadOnly()
    page.server.setText(server_url)
    qtbot.mouseClick(page.apply_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert window.status.text() == "Model changed."
    assert window.desk.llm_url() == server_url and page.server.text() == server_url
    page.server.setText(f"http://127.0.0.1:{_free_port()}/v1")
    qtbot.mouseClick(page.apply_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert "cannot reach the LLM server" in window.status.text()
    assert window.desk.llm_url() == server_url and page.server.text() == server_url
    page.server.clear()
    qtbot.mouseClick(page.apply_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert window.desk.llm_url() is None
    window.close()


CONFIGURED_SCRIPT = '''
import json, sys
from core.cli import main

for argv in json.loads(sys.argv[1]):
    print("exit", argv[0], main(argv), flush=True)
'''


def test_a_configured_server_is_the_only_host_reached(server_url: str, english_faq: Path,
                                                      tmp_path: Path):
    """README: no connection is made unless the user configures a server, and then only to
    it. Every attempt of import, search, set-llm-url and a generated answer is recorded."""
    from tests.net_guard import attempts, guarded_env

    port = server_url.split(":")[2].split("/")[0]
    env, log = guarded_env(tmp_path, allow=[f"127.0.0.1:{port}"])
    env["PATENT_DESK_HOME"] = str(tmp_path / "home")
    script = tmp_path / "configured.py"
    script.write_text(CONFIGURED_SCRIPT, "utf-8")
    commands = [["import", str(english_faq)], ["search", "patent term"],
                ["models", "set-llm-url", server_url],
                ["ask", "How long does an invention patent last?", "--mode", "generate"]]
    result = subprocess.run([sys.executable, str(script), json.dumps(commands)],
                            cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert [line.split()[-1] for line in result.stdout.splitlines()
            if line.startswith("exit ")] == ["0"] * len(commands), result.stderr[-3000:]
    tried = attempts(log)
    assert tried, "the guard saw no connection to the configured server"
    assert all(allowed for _kind, _target, allowed in tried), tried
    assert {target for _kind, target, _allowed in tried if _kind == "connect"} == {
        f"('127.0.0.1', {port})"}

"""Nothing leaves the machine: import, search, ask, a tiny tuning run and eval run in one
subprocess whose sockets are blocked at the Python level (tests/net_guard.py records and
refuses every connect, create_connection, sendto and name lookup), with HF_HUB_OFFLINE and
TRANSFORMERS_OFFLINE unset, and not one network call is attempted. The other half of the
README's promise, that a configured LLM server is the only host reached, is in
test_llm_server.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_DIR, REALISTIC_QUERIES
from tests.net_guard import attempts, guarded_env

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

SCRIPT = '''
import json, socket, sys
from core.cli import main

for argv in json.loads(sys.argv[1]):
    code = main(argv)
    print("exit", argv[0], code, flush=True)
    if code != 0:
        sys.exit(code)
try:  # the guard must be live: this attempt is the one expected record
    socket.create_connection(("127.0.0.1", 9), timeout=1)
except OSError:
    pass
'''


def test_the_whole_workflow_makes_no_network_call(tmp_path: Path):
    script = tmp_path / "workflow.py"
    script.write_text(SCRIPT, "utf-8")
    queries = tmp_path / "queries.jsonl"
    lines = [json.loads(x) for x in REALISTIC_QUERIES.read_text("utf-8").splitlines()]
    mine = [q for q in lines if q["file"] == "patent_attorney_act_qa.csv"][:10]
    queries.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in mine), "utf-8")
    small = [str(DEMO_DIR / "patent_attorney_act_qa.csv")]
    commands = [["import", *small], ["search", "專利師 執業"],
                ["ask", "專利師可以用什麼方式執業？"],
                ["tune", "--epochs", "1", "--per-angle", "1", "--llm-angles", "off"],
                ["eval", "--queries", str(queries)], ["adapters", "list"], ["backup"]]
    env, log = guarded_env(tmp_path)
    env["PATENT_DESK_HOME"] = str(tmp_path / "home")
    result = subprocess.run([sys.executable, str(script), json.dumps(commands)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split()[1] for line in result.stdout.splitlines()
            if line.startswith("exit ")] == [c[0] for c in commands]
    tried = attempts(log)
    assert tried == [["create_connection", "('127.0.0.1', 9)", False]], tried

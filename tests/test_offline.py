"""Nothing leaves the machine: import, search, ask, a tiny tuning run and eval run in one
subprocess whose sockets are blocked at the Python level (a sitecustomize records and refuses
every connect, create_connection, sendto and name lookup), with HF_HUB_OFFLINE and
TRANSFORMERS_OFFLINE unset, and not one network call is attempted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_DIR, REALISTIC_QUERIES, ROOT

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

GUARD = '''
import json, os, socket

_LOG = os.environ["PATENT_DESK_NET_LOG"]


def _record(kind, target):
    with open(_LOG, "a", encoding="utf-8") as handle:
        handle.write(json.dumps([kind, repr(target)]) + "\\n")
    raise OSError("network blocked by the offline test")


def _guard(name):
    original = getattr(socket.socket, name)

    def guarded(self, address, *args):
        if self.family == getattr(socket, "AF_UNIX", None):
            return original(self, address, *args)
        return _record(name, address)

    setattr(socket.socket, name, guarded)


for _name in ("connect", "connect_ex"):
    _guard(_name)
_sendto = socket.socket.sendto


def _guarded_sendto(self, data, *args):
    if self.family == getattr(socket, "AF_UNIX", None):
        return _sendto(self, data, *args)
    return _record("sendto", args[-1])


socket.socket.sendto = _guarded_sendto
socket.create_connection = lambda address, *a, **k: _record("create_connection", address)
socket.getaddrinfo = lambda host, *a, **k: _record("getaddrinfo", host)
socket.gethostbyname = lambda host: _record("gethostbyname", host)
'''

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
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD, "utf-8")
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
    log = tmp_path / "network.jsonl"
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")}
    env.update(PYTHONPATH=f"{guard}{os.pathsep}{ROOT}", PATENT_DESK_HOME=str(tmp_path / "home"),
               PATENT_DESK_NET_LOG=str(log))
    result = subprocess.run([sys.executable, str(script), json.dumps(commands)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split()[1] for line in result.stdout.splitlines()
            if line.startswith("exit ")] == [c[0] for c in commands]
    attempts = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert attempts == [["create_connection", "('127.0.0.1', 9)"]], attempts

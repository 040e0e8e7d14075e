"""A socket guard for subprocesses: a sitecustomize that records every connection attempt
(connect, connect_ex, create_connection, sendto, name lookups) to PATENT_DESK_NET_LOG and
refuses it, unless its (host, port) is listed in PATENT_DESK_NET_ALLOW ("host:port,...").
Unix sockets pass. It works at the Python level: libpq's own sockets (PostgreSQL) are C."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import ROOT

GUARD = '''
import json, os, socket

_LOG = os.environ["PATENT_DESK_NET_LOG"]
_ALLOW = {tuple(a.rsplit(":", 1)) for a in os.environ.get("PATENT_DESK_NET_ALLOW", "").split(",")
          if a}


def _allowed(host, port):
    return (str(host), str(port)) in _ALLOW


def _record(kind, target, allowed=False):
    with open(_LOG, "a", encoding="utf-8") as handle:
        handle.write(json.dumps([kind, repr(target), allowed]) + "\\n")
    if not allowed:
        raise OSError("network blocked by the socket guard")


def _guard(name):
    original = getattr(socket.socket, name)

    def guarded(self, address, *args):
        if self.family == getattr(socket, "AF_UNIX", None):
            return original(self, address, *args)
        allowed = _allowed(*address[:2])
        _record(name, address, allowed)
        return original(self, address, *args)

    setattr(socket.socket, name, guarded)


for _name in ("connect", "connect_ex"):
    _guard(_name)
_sendto = socket.socket.sendto
_create_connection = socket.create_connection
_getaddrinfo = socket.getaddrinfo


def _guarded_sendto(self, data, *args):
    if self.family == getattr(socket, "AF_UNIX", None):
        return _sendto(self, data, *args)
    _record("sendto", args[-1], _allowed(*args[-1][:2]))
    return _sendto(self, data, *args)


def _guarded_create_connection(address, *args, **kwargs):
    _record("create_connection", address, _allowed(*address[:2]))
    return _create_connection(address, *args, **kwargs)


def _guarded_getaddrinfo(host, port, *args, **kwargs):
    _record("getaddrinfo", (host, port), _allowed(host, port))
    return _getaddrinfo(host, port, *args, **kwargs)


socket.socket.sendto = _guarded_sendto
socket.create_connection = _guarded_create_connection
socket.getaddrinfo = _guarded_getaddrinfo
socket.gethostbyname = lambda host: _record("gethostbyname", host)
'''


def guarded_env(tmp_path: Path, allow: list[str] | None = None) -> tuple[dict[str, str], Path]:
    """The environment for a guarded subprocess, and the log its attempts go to. The hub's
    offline switches are removed, so nothing hides an attempt the code would make."""
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(GUARD, "utf-8")
    log = tmp_path / "network.jsonl"
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")}
    env.update(PYTHONPATH=f"{guard}{os.pathsep}{ROOT}", PATENT_DESK_NET_LOG=str(log),
               PATENT_DESK_NET_ALLOW=",".join(allow or []))
    return env, log


def attempts(log: Path) -> list[list]:
    """[kind, target, allowed] for every attempt recorded so far."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()]

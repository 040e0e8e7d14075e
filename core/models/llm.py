"""The local GGUF language model (llama-cpp-python), used through its own chat template.

llama.cpp runs in a child process (core.models.llm_worker) that streams tokens back: a native
crash there (SIGILL on a CPU the build does not suit, the out-of-memory killer) ends that
process only, and the window or the CLI gets one line saying what happened and what to do.
The next request starts a fresh child.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core import paths
from core.errors import Cancelled, ModelError, PatentDeskError
from core.models import llama_build
from core.models.batched import degenerate
from core.models.gguf import special_tokens
from core.models.llm_worker import FROZEN_FLAG
from core.models.registry import ModelSource, check_gguf, ready
from core.prompt_safety import control_strings

Message = dict[str, str]
_WINDOWS_ILLEGAL_INSTRUCTION = 0xC000001D
_SIGKILL = getattr(signal, "SIGKILL", 9)  # Windows has no SIGKILL
REPEAT_PENALTY = 1.15  # ends small models' loops; 1.05 vs 1.15 on Qwen 0.5B: no clear gain (n=6)


def worker_command() -> list[str]:
    if getattr(sys, "frozen", False):  # the bundle's own executable serves as the worker
        return [sys.executable, FROZEN_FLAG]
    return [sys.executable, "-m", "core.models.llm_worker"]


def _worker_log() -> Path | None:
    """Where the child's stderr goes (llama.cpp's own messages), beside the app's log."""
    try:
        folder = paths.data_home() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, PatentDeskError):
        return None
    return folder / "llm-worker.log"


def crash_message(returncode: int | None, log: Path | None) -> str:
    """One line for a worker that died: what happened, and what to do about it."""
    where = f"; details in {log}" if log else ""
    extract = "official answers (--mode extract) and rule-based query angles still work"
    if returncode in (-signal.SIGILL, _WINDOWS_ILLEGAL_INSTRUCTION, 132):
        return (f"the local LLM crashed with an illegal instruction (SIGILL): llama.cpp was "
                f"built for a processor this one cannot run; rebuild it portably with "
                f"{llama_build.REBUILD_COMMAND} (CMAKE_ARGS "
                f"{' '.join(llama_build.cmake_args()[:1])} ..., no AMX); {extract}{where}")
    if returncode in (-_SIGKILL, 137):
        return (f"the local LLM process was killed (SIGKILL; often the system ran out of "
                f"memory): choose a smaller context or model on the Models page and ask "
                f"again; {extract}{where}")
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else (
            f"signal {-returncode}")
        return f"the local LLM process died ({name}); ask again; {extract}{where}"
    return (f"the local LLM process ended unexpectedly (exit status {returncode}); ask again;"
            f" {extract}{where}")


class _Worker:
    """One child process holding one loaded model; requests take turns (a lock)."""

    def __init__(self, request: dict[str, Any], log: Path | None) -> None:
        self.log = log
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])  # `core` importable from any cwd
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        env.setdefault("PYTHONIOENCODING", "utf-8")
        stderr: IO[bytes] | int = subprocess.DEVNULL
        if log is not None:
            try:
                stderr = open(log, "ab")  # noqa: SIM115 - the child holds it, not us
            except OSError:
                self.log = None
        try:
            self.proc = subprocess.Popen(
                worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                env=env, text=True, encoding="utf-8", bufsize=1)
        finally:
            if not isinstance(stderr, int):
                stderr.close()
        self.lock = threading.Lock()
        self.next_id = 0
        try:
            reply = self.request(request)
        except ModelError:
            self.close()
            raise
        self.system_info: str = str(reply.get("system_info", ""))
        self.metadata: dict[str, str] = dict(reply.get("metadata") or {})

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise ModelError(self._died()) from None

    def _receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise ModelError(self._died())
        reply = json.loads(line)
        if "error" in reply:
            raise ModelError(f"the local LLM failed: {reply['error']}")
        return reply

    def _died(self) -> str:
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        return crash_message(code, self.log)

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._send(message)
            return self._receive()

    def stream(self, message: dict[str, Any]) -> Iterator[str]:
        """The pieces of one chat; when it ends, `last_done` holds the child's closing reply
        (prompt size, tokens reused from the cache, tokens written)."""
        with self.lock:
            self.next_id += 1
            ident = self.next_id
            self._send({**message, "id": ident})
            finished = False
            self.last_done: dict[str, Any] = {}
            try:
                while True:
                    reply = self._receive()
                    if reply.get("done"):
                        finished = True
                        self.last_done = reply
                        return
                    yield str(reply.get("piece", ""))
            finally:
                if not finished and self.alive():  # the reader stopped early: stop the child
                    try:
                        self._send({"op": "cancel", "id": ident})
                        while not (reply := self._receive()).get("done"):
                            pass
                        self.last_done = reply
                    except ModelError:
                        pass

    def batch(self, message: dict[str, Any], cancel: threading.Event | None
              ) -> dict[str, Any]:
        """One batched request (op chat_batch) and its final reply; a set `cancel` is passed
        on to the child, which stops between decode steps and answers cancelled."""
        with self.lock:
            self.next_id += 1
            ident = self.next_id
            self._send({**message, "id": ident})
            finished = threading.Event()

            def watch() -> None:  # the requesting thread is blocked reading the reply
                while cancel is not None and not finished.wait(0.2):
                    if cancel.is_set():
                        try:
                            self._send({"op": "cancel", "id": ident})
                        except (ModelError, ValueError):  # closed meanwhile
                            pass
                        return

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            try:
                while not (reply := self._receive()).get("done"):
                    pass
                return reply
            finally:
                finished.set()
                watcher.join()

    def close(self) -> None:
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


@dataclass(frozen=True)
class CallStats:
    """How one chat went, measured here: what the Models page's speed and the benchmark
    report."""

    prompt_tokens: int | None  # the rendered prompt
    reused_tokens: int  # of those, already in the model's cache (a warmed system prompt)
    tokens: int | None  # written
    first_token_s: float | None  # from the request to the first piece
    seconds: float  # from the request to the last piece

    @property
    def tokens_per_s(self) -> float | None:
        """Writing speed after the first piece (prompt processing left out)."""
        if not self.tokens or self.tokens < 2 or self.first_token_s is None:
            return None
        writing = self.seconds - self.first_token_s
        return round((self.tokens - 1) / writing, 1) if writing > 0 else None


class LocalLLM:
    """A chat model on this computer. Streaming yields text pieces as they are generated."""

    def __init__(self, source: ModelSource, n_ctx: int = 4096, n_threads: int | None = None,
                 seed: int = 7, repeat_penalty: float = REPEAT_PENALTY) -> None:
        # A bundled file that fails its sha256 is named as such first; a chunked one is
        # assembled into the model cache on first use.
        check_gguf(ready(source))
        missing = llama_build.missing_cpu_features()
        if missing:
            raise ModelError(llama_build.below_floor_message(missing))
        self.source = source
        self.n_ctx = n_ctx
        self.repeat_penalty = repeat_penalty
        self._load = {"op": "load", "path": str(source.path), "n_ctx": n_ctx, "seed": seed,
                      "n_threads": n_threads or max(1, os.cpu_count() or 1)}
        self._guard = threading.Lock()
        self._worker: _Worker | None = None
        self.last_call: CallStats | None = None  # the last chat (stopped early or not)
        try:
            self._ensure()
        except ModelError as exc:
            raise ModelError(f"cannot load LLM {source.path}: {exc}; choose another GGUF "
                             "file") from None

    def _ensure(self) -> _Worker:
        """The running worker; a dead one (crashed, killed) is replaced by a fresh one."""
        with self._guard:
            if self._worker is None or not self._worker.alive():
                self._worker = _Worker(self._load, _worker_log())
            return self._worker

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def worker_pid(self) -> int | None:
        """The child process generating right now (tests kill it to see the app survive)."""
        return self._worker.pid if self._worker and self._worker.alive() else None

    @property
    def system_info(self) -> str:
        """llama.cpp's `llama_print_system_info()`: the instruction sets it was built with."""
        return self._ensure().system_info

    @property
    def metadata(self) -> dict[str, str]:
        """The GGUF's metadata (chat template, control tokens' names...)."""
        return self._ensure().metadata

    @functools.cached_property
    def control_tokens(self) -> tuple[str, ...]:
        """What no stored text may spell in a prompt to this model: its vocabulary's special
        tokens and its chat template's, read from the GGUF (core.prompt_safety)."""
        tokens, template = special_tokens(Path(self.source.path))
        return control_strings(tokens, template)

    def count_tokens(self, text: str) -> int:
        return int(self._ensure().request({"op": "tokens", "text": text})["n"])

    def warm(self, messages: list[Message]) -> int:
        """Evaluate these messages' prompt (a system prompt) ahead of the question: a chat
        whose prompt starts with the same tokens skips them. Returns how many there were
        (0 for a GGUF without a chat template of its own)."""
        return int(self._ensure().request({"op": "warm", "messages": messages})["tokens"])

    def stream_chat(self, messages: list[Message], max_tokens: int = 384,
                    temperature: float = 0.2) -> Iterator[str]:
        text = ""
        worker = self._ensure()
        self.last_call = None
        started, first = time.monotonic(), None
        pieces = worker.stream({"op": "chat", "messages": messages, "max_tokens": max_tokens,
                                "temperature": temperature,
                                "repeat_penalty": self.repeat_penalty})
        try:
            for piece in pieces:
                if not piece:
                    continue
                if first is None:
                    first = time.monotonic() - started
                yield piece
                text += piece
                if degenerate(text):
                    break  # small models loop; stop rather than print the same line again
        finally:
            pieces.close()  # stops the child's generation when we stop reading
            # (here, not after: a reader that stops early closes this generator too)
            done = getattr(worker, "last_done", {})
            if done:
                self.last_call = CallStats(done.get("prompt_tokens"), int(done.get(
                    "reused_tokens") or 0), done.get("tokens"), first,
                    time.monotonic() - started)

    def chat(self, messages: list[Message], max_tokens: int = 384,
             temperature: float = 0.2) -> str:
        return "".join(self.stream_chat(messages, max_tokens, temperature))

    @property
    def can_batch(self) -> bool:
        """Whether chat_many can render this model's prompts: it needs the GGUF's own chat
        template (create_chat_completion falls back to a generic format without one)."""
        return bool(self.metadata.get("tokenizer.chat_template"))

    def chat_many(self, conversations: list[list[Message]], max_tokens: int = 384,
                  temperature: float = 0.2, cancel: threading.Event | None = None
                  ) -> list[tuple[str, int]]:
        """Each conversation's reply and its token count, decoded together in one batch
        (core.models.batched): several times the throughput of one chat after another on
        a CPU. Raises Cancelled when `cancel` is set before the batch is done."""
        if not conversations:
            return []
        reply = self._ensure().batch(
            {"op": "chat_batch", "repeat_penalty": self.repeat_penalty,
             "requests": [{"messages": m, "max_tokens": max_tokens,
                           "temperature": temperature} for m in conversations]}, cancel)
        if reply.get("cancelled"):
            raise Cancelled("generation was cancelled")
        return [(str(r["text"]), int(r["tokens"])) for r in reply["replies"]]

    def close(self) -> None:
        with self._guard:
            if self._worker is not None:
                self._worker.close()
                self._worker = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

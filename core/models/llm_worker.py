"""The child process that runs llama.cpp: `python -m core.models.llm_worker`.

llama.cpp is native code. When it dies (an illegal instruction on a CPU it was not built for,
the kernel's out-of-memory killer, a bug in a model file), it takes its process with it. So
generation runs here, never in the window or the CLI, and `core.models.llm` talks to it over
pipes: one JSON object per line.

    parent -> child   {"op": "load", "path", "n_ctx", "n_threads", "seed"}
                      {"op": "tokens", "text"}
                      {"op": "warm", "messages"}   (prefills a fixed prompt prefix, e.g. the
                       system prompt, so the next chat that starts with it skips that part)
                      {"op": "chat", "id", "messages", "max_tokens", "temperature",
                       "repeat_penalty"}
                      {"op": "chat_batch", "id", "requests": [{"messages", "max_tokens",
                       "temperature"}, ...], "repeat_penalty"}   (decoded together:
                       core.models.batched)
                      {"op": "cancel", "id"}       (may arrive while a chat streams)
    child -> parent   {"ok": true, ...} | {"error": "one line"} | {"piece": "..."} then
                      {"done": true, "cancelled": bool, "prompt_tokens", "reused_tokens",
                      "tokens"} (a batch's "done" carries "replies": [{"text", "tokens"},
                      ...])

The child exits when its standard input closes, so it never outlives the app.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from typing import IO, Any

from core.models.batched import common_prefix

FROZEN_FLAG = "--patent-desk-llm-worker"  # how a PyInstaller bundle starts this (entry_*.py)


class _Requests:
    """Reads requests on a thread, so a cancel is seen while a chat is being generated."""

    def __init__(self, stream: IO[str]) -> None:
        self.queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.cancelled: set[int] = set()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                request = json.loads(line)
            except ValueError:
                continue
            if request.get("op") == "cancel":
                self.cancelled.add(int(request.get("id", -1)))
            else:
                self.queue.put(request)
        self.queue.put(None)  # the parent is gone


class Worker:
    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.llama: Any = None
        self.batched: Any = None  # core.models.batched.BatchedChat, made at the first batch
        self.formatters: dict[bool, Any] = {}  # the model's chat template (None: it has none)
        self.options: dict[str, Any] = {}

    def send(self, **message: object) -> None:
        self.out.write(json.dumps(message, ensure_ascii=False) + "\n")
        self.out.flush()

    def load(self, request: dict[str, Any]) -> None:
        import llama_cpp

        try:
            self.llama = llama_cpp.Llama(
                model_path=request["path"], n_ctx=int(request["n_ctx"]),
                seed=int(request.get("seed", 7)), n_threads=int(request["n_threads"]),
                verbose=False)
        except (ValueError, RuntimeError) as exc:
            self.send(error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return
        self.options = {"n_threads": int(request["n_threads"]),
                        "seed": int(request.get("seed", 7))}
        info = llama_cpp.llama_print_system_info()
        self.send(ok=True, system_info=info.decode("utf-8", "replace") if isinstance(
            info, bytes) else str(info), metadata=dict(self.llama.metadata or {}))

    def tokens(self, request: dict[str, Any]) -> None:
        text = str(request["text"]).encode("utf-8")
        self.send(n=len(self.llama.tokenize(text, add_bos=False)))

    def _prompt(self, messages: list[dict[str, str]], opening: bool = False) -> list[int]:
        """The tokens create_chat_completion feeds the model for these messages ([] when
        the GGUF has no chat template of its own); `opening`: as the start of a longer
        conversation (no assistant turn opened after them)."""
        from core.models.batched import chat_formatter, prompt_tokens

        if opening not in self.formatters:
            self.formatters[opening] = chat_formatter(self.llama, not opening)
        formatter = self.formatters[opening]
        return prompt_tokens(self.llama, formatter, messages) if formatter else []

    def _cached(self, tokens: list[int]) -> int:
        """How many of these tokens the model's KV cache already holds (llama-cpp-python
        reuses that prefix and evaluates only the rest)."""
        held = self.llama.input_ids[:self.llama.n_tokens].tolist()
        return common_prefix(held, tokens)

    def warm(self, request: dict[str, Any]) -> None:
        """Evaluate the opening of a conversation (a system prompt) now, while the reader is
        still typing: an answer's prompt starts with the same tokens, and llama-cpp-python
        then evaluates only what follows them. Nothing to do when the cache holds them."""
        tokens = self._prompt(request["messages"], opening=True)
        if tokens and self._cached(tokens) < len(tokens):
            self.llama.reset()
            self.llama.eval(tokens)
        self.send(ok=True, tokens=len(tokens))

    def chat(self, request: dict[str, Any], cancelled: set[int]) -> None:
        ident = int(request["id"])
        prompt = self._prompt(request["messages"])
        reused = self._cached(prompt) if prompt else 0
        chunks = self.llama.create_chat_completion(
            messages=request["messages"], max_tokens=int(request["max_tokens"]),
            temperature=float(request["temperature"]),
            repeat_penalty=float(request.get("repeat_penalty", 1.15)), stream=True)
        stopped = False
        for chunk in chunks:
            if ident in cancelled:
                stopped = True
                break
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                self.send(piece=piece)
        cancelled.discard(ident)
        # What the prompt cost and what was written, for speeds measured on this machine
        # (the Models page): the tokens evaluated after the prompt are the reply's.
        written = max(0, self.llama.n_tokens - len(prompt)) if prompt else None
        self.send(done=True, cancelled=stopped, prompt_tokens=len(prompt) or None,
                  reused_tokens=reused, tokens=written)

    def chat_batch(self, request: dict[str, Any], cancelled: set[int]) -> None:
        from core.models.batched import BatchedChat, Request

        ident = int(request["id"])
        if self.batched is None:
            self.batched = BatchedChat(self.llama, self.options["n_threads"],
                                       self.options["seed"])
        requests = [Request(list(r["messages"]), int(r["max_tokens"]), float(r["temperature"]))
                    for r in request["requests"]]
        try:
            replies = self.batched.run(requests, float(request.get("repeat_penalty", 1.15)),
                                       lambda: ident in cancelled)
        finally:
            self.batched.close()  # its KV cache is many times a chat's: not kept idle
        cancelled.discard(ident)
        self.send(done=True, cancelled=replies is None,
                  replies=[{"text": r.text, "tokens": r.tokens} for r in replies or ()])


def main() -> int:
    # The protocol keeps the real stdout to itself; whatever native code prints to stdout
    # lands on stderr (the worker log), never inside a JSON line.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = _Requests(sys.stdin)
    worker = Worker(out)
    while (request := requests.queue.get()) is not None:
        op = request.get("op")
        try:
            if op == "load":
                worker.load(request)
            elif worker.llama is None:
                worker.send(error="no model is loaded")
            elif op == "tokens":
                worker.tokens(request)
            elif op == "warm":
                worker.warm(request)
            elif op == "chat":
                worker.chat(request, requests.cancelled)
            elif op == "chat_batch":
                worker.chat_batch(request, requests.cancelled)
            else:
                worker.send(error=f"unknown request {op!r}")
        except Exception as exc:  # a Python-level failure is one line; the worker lives on
            first = str(exc).splitlines()[0] if str(exc) else ""
            worker.send(error=f"{type(exc).__name__}: {first}".rstrip(": "))
    return 0


if __name__ == "__main__":
    sys.exit(main())

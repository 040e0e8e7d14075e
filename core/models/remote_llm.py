"""A language model served over HTTP by any OpenAI-compatible endpoint.

Agencies that outgrow one laptop run one model server for every seat: llama.cpp's
`llama-server`, `python -m llama_cpp.server`, vLLM or Ollama. They all speak the OpenAI chat
API, so the official `openai` client talks to each of them; this class gives it the same
face as LocalLLM (name, n_ctx, count_tokens, chat, stream_chat), and answering and query
generation use either without knowing which.
"""

from __future__ import annotations

import importlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator

from core.errors import ModelError
from core.models.llm import Message, degenerate
from core.prompt_safety import control_strings

URL_ENV = "PATENT_DESK_LLM_URL"
KEY_ENV = "PATENT_DESK_LLM_KEY"  # servers that want a key (vLLM --api-key); most need none
# Tokenizer endpoints: llama_cpp.server, then llama.cpp's llama-server and vLLM. A server
# with neither (Ollama) gets an estimate that errs towards counting too many tokens.
_TOKENIZE = (("extras/tokenize", "input"), ("tokenize", "content"))


class RemoteLLM:
    """Chat with a model behind `url` (ending in /v1). `model`: the served model's id; by
    default the first one the server lists."""

    def __init__(self, url: str, model: str | None = None, n_ctx: int = 4096,
                 timeout_s: float = 600.0) -> None:
        from openai import OpenAI

        self.url = url.rstrip("/")
        if not self.url.startswith(("http://", "https://")):
            raise ModelError(f"LLM server address {url!r} must start with http:// or https:// "
                             "(for example http://127.0.0.1:8000/v1)")
        self.client = OpenAI(base_url=self.url, api_key=os.environ.get(KEY_ENV) or "none",
                             timeout=timeout_s, max_retries=1)
        self.n_ctx = n_ctx
        self.model = model or self._first_model()
        self._tokenize: tuple[str, str] | None | bool = False  # False: not probed yet

    @property
    def name(self) -> str:
        return f"{self.model} @ {self.url}"

    @property
    def control_tokens(self) -> tuple[str, ...]:
        """A served model's tokenizer is not ours to read: the common control tokens."""
        return control_strings()

    def _first_model(self) -> str:
        import openai

        try:
            models = self.client.models.list().data
        except openai.APIConnectionError:
            raise ModelError(self._unreachable()) from None
        except openai.APIError as exc:
            raise ModelError(f"the LLM server at {self.url} answered {exc}; check the "
                             "address (it usually ends in /v1)") from None
        if not models:
            raise ModelError(f"the LLM server at {self.url} serves no model; load one there")
        return models[0].id

    def _unreachable(self) -> str:
        return (f"cannot reach the LLM server at {self.url}; start it, or clear the server "
                f"address (Models page, or unset {URL_ENV}) to use the model on this computer")

    def count_tokens(self, text: str) -> int:
        if self._tokenize is False:
            self._tokenize = self._probe_tokenizer()
        if self._tokenize:
            path, field = self._tokenize
            tokens = self._post(path, {field: text, "model": self.model})
            if tokens is not None:
                return len(tokens)
        return len(text.encode("utf-8")) // 2 + 1  # CJK: 1-3 tokens a 3-byte character

    def _probe_tokenizer(self) -> tuple[str, str] | None:
        for path, field in _TOKENIZE:
            if self._post(path, {field: "a", "model": self.model}) is not None:
                return path, field
        return None

    def _post(self, path: str, body: dict[str, str]) -> list[int] | None:
        """The token list from a tokenizer endpoint, or None where there is none."""
        root = self.url[: -len("/v1")] if self.url.endswith("/v1") else self.url
        for base in (root, self.url):
            request = urllib.request.Request(
                f"{base}/{path}", data=json.dumps(body).encode(), method="POST",
                headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as reply:
                    tokens = json.load(reply).get("tokens")
            except (urllib.error.URLError, OSError, ValueError, AttributeError):
                continue
            if isinstance(tokens, list):
                return tokens
        return None

    def stream_chat(self, messages: list[Message], max_tokens: int = 384,
                    temperature: float = 0.2) -> Iterator[str]:
        import openai

        try:
            stream = self.client.chat.completions.create(
                model=self.model, messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens, temperature=temperature, stream=True)
            with stream:  # closed early too (a loop, a cancel): the server stops generating
                text = ""
                for chunk in stream:
                    piece = chunk.choices[0].delta.content if chunk.choices else None
                    if not piece:
                        continue
                    yield piece
                    text += piece
                    if degenerate(text):
                        break
        except (openai.APIConnectionError, *_transport_errors()):  # also mid-stream drops
            raise ModelError(self._unreachable()) from None
        except openai.APIError as exc:
            raise ModelError(f"the LLM server at {self.url} refused the request: {exc}") from None

    def chat(self, messages: list[Message], max_tokens: int = 384,
             temperature: float = 0.2) -> str:
        return "".join(self.stream_chat(messages, max_tokens, temperature))


def _transport_errors() -> tuple[type[BaseException], ...]:
    """A connection dropped while a reply streams reaches us as the HTTP library's own
    error, not openai's; openai 1.x-2.x use httpx, 3.x httpx2."""
    for name in ("httpx2", "httpx"):
        try:
            return (importlib.import_module(name).TransportError,)
        except (ImportError, AttributeError):
            continue
    return ()

"""The local GGUF language model (llama-cpp-python), used through its own chat template."""

from __future__ import annotations

import os
from collections.abc import Iterator

from core.errors import ModelError
from core.models.registry import ModelSource, check_gguf, verify

Message = dict[str, str]


class LocalLLM:
    """A chat model loaded in-process. Streaming yields text pieces as they are generated."""

    def __init__(self, source: ModelSource, n_ctx: int = 4096, n_threads: int | None = None,
                 seed: int = 7) -> None:
        verify(source)  # a bundled file that fails its sha256 is named as such first
        check_gguf(source.path)
        from llama_cpp import Llama

        self.source = source
        try:
            self.llama = Llama(model_path=str(source.path), n_ctx=n_ctx, seed=seed,
                               n_threads=n_threads or max(1, os.cpu_count() or 1),
                               verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot load LLM {source.path}: {exc}; choose another GGUF "
                             "file") from None
        self.n_ctx = n_ctx

    @property
    def name(self) -> str:
        return self.source.name

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False))

    def stream_chat(self, messages: list[Message], max_tokens: int = 384,
                    temperature: float = 0.2) -> Iterator[str]:
        chunks = self.llama.create_chat_completion(
            messages=messages, max_tokens=max_tokens, temperature=temperature,
            repeat_penalty=1.15, stream=True)
        text = ""
        for chunk in chunks:
            piece = chunk["choices"][0]["delta"].get("content")  # type: ignore[index]
            if not piece:
                continue
            yield piece
            text += piece
            if degenerate(text):
                break  # small models loop; stop rather than print the same line again

    def chat(self, messages: list[Message], max_tokens: int = 384,
             temperature: float = 0.2) -> str:
        return "".join(self.stream_chat(messages, max_tokens, temperature))


def degenerate(text: str, window: int = 30) -> bool:
    """True when the last `window` characters already appeared twice before."""
    return len(text) > 4 * window and text.count(text[-window:]) >= 3

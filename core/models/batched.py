"""Several chat completions decoded together: llama.cpp's batch API, in the LLM child process.

On a CPU, decoding one sequence is bound by memory bandwidth: each step streams every weight
to produce one token. A batch of sequences reads the weights once per step for all of them,
so query generation (five roles for each of many items) gets several times the tokens per
second of one completion after another. Each sequence keeps its own sampler chain, built
as llama-cpp-python's `create_chat_completion` builds one (penalties, top-k, typical,
top-p, min-p, temperature, seeded draw), so a batched reply reads like a sequential one.

Runs inside core.models.llm_worker, next to the loaded `llama_cpp.Llama`, on a context of
its own (one KV cell range per sequence) that is made once and cleared between jobs.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

TOP_K, TOP_P, MIN_P, TYPICAL_P = 40, 0.95, 0.05, 1.0  # create_chat_completion's defaults
PENALTY_LAST_N = 64  # llama_cpp.Llama.last_n_tokens_size
MAX_SEQUENCES = 256  # llama.cpp's limit of parallel sequences (and under the batch's 512)


@dataclass
class Request:
    messages: list[dict[str, str]]
    max_tokens: int
    temperature: float


@dataclass
class Reply:
    text: str
    tokens: int


def degenerate(text: str, window: int = 30) -> bool:
    """True when the last `window` characters already appeared twice before (small models
    loop; generation stops rather than write the same line again)."""
    return len(text) > 4 * window and text.count(text[-window:]) >= 3


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def chat_formatter(llama: Any, generation_prompt: bool = True) -> Any:
    """The model's own chat template (as create_chat_completion renders it), or None.
    Without `generation_prompt`, the messages render as the start of a longer prompt."""
    from llama_cpp import llama_chat_format

    template = (llama.metadata or {}).get("tokenizer.chat_template")
    if not template:
        return None
    model = llama._model
    eos, bos = llama.token_eos(), llama.token_bos()
    return llama_chat_format.Jinja2ChatFormatter(
        template=template, eos_token=model.token_get_text(eos) if eos != -1 else "",
        bos_token=model.token_get_text(bos) if bos != -1 else "",
        add_generation_prompt=generation_prompt)


def prompt_tokens(llama: Any, formatter: Any, messages: list[dict[str, str]]) -> list[int]:
    """The tokens create_chat_completion evaluates for these messages."""
    result = formatter(messages=messages)
    return llama.tokenize(result.prompt.encode("utf-8"),
                          add_bos=not result.added_special, special=True)


class _Sequence:
    """One completion being decoded: its sampler chain, position and bytes so far."""

    def __init__(self, lib: Any, n_vocab: int, request: Request, seed: int,
                 repeat_penalty: float) -> None:
        self.lib = lib
        self.request = request
        self.chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        add = lambda sampler: lib.llama_sampler_chain_add(self.chain, sampler)  # noqa: E731
        add(lib.llama_sampler_init_penalties(n_vocab, PENALTY_LAST_N, repeat_penalty, 0.0, 0.0))
        if request.temperature <= 0:
            add(lib.llama_sampler_init_greedy())
        else:
            add(lib.llama_sampler_init_top_k(TOP_K))
            add(lib.llama_sampler_init_typical(TYPICAL_P, 1))
            add(lib.llama_sampler_init_top_p(TOP_P, 1))
            add(lib.llama_sampler_init_min_p(MIN_P, 1))
            add(lib.llama_sampler_init_temp(request.temperature))
            add(lib.llama_sampler_init_dist(seed))
        self.data = b""
        self.tokens = 0
        self.position = 0
        self.logits_index = -1  # where this sequence's last token sits in the last batch
        self.done = False

    def text(self) -> str:
        return self.data.decode("utf-8", "ignore")

    def close(self) -> None:
        if self.chain is not None:
            self.lib.llama_sampler_free(self.chain)
            self.chain = None


class BatchedChat:
    """Decodes a list of chat requests together on one loaded `llama_cpp.Llama`."""

    def __init__(self, llama: Any, n_threads: int, seed: int) -> None:
        import llama_cpp

        self.lib = llama_cpp
        self.llama = llama
        self.n_threads = n_threads
        self.seed = seed
        self.vocab = llama_cpp.llama_model_get_vocab(llama._model.model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.ctx: Any = None
        self.ctx_cells = 0
        self.n_seq = 0
        self.formatter = chat_formatter(llama)

    def prompt_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        return prompt_tokens(self.llama, self.formatter, messages)

    def _context(self, n_seq: int, cells_per_seq: int) -> Any:
        """A context with `n_seq` sequences of `cells_per_seq` cells each, reused when big
        enough (making one costs little, but its KV buffer is allocated each time)."""
        lib = self.lib
        if self.ctx is not None and self.n_seq >= n_seq and self.ctx_cells >= cells_per_seq:
            lib.llama_memory_clear(lib.llama_get_memory(self.ctx), True)
            return self.ctx
        self.close()
        params = lib.llama_context_default_params()
        params.n_ctx = n_seq * cells_per_seq
        params.n_batch = params.n_ubatch = 512
        params.n_seq_max = n_seq
        params.n_threads = params.n_threads_batch = self.n_threads
        self.ctx = lib.llama_init_from_model(self.llama._model.model, params)
        if not self.ctx:
            raise RuntimeError("llama.cpp could not make a batched context (out of memory?)")
        self.n_seq, self.ctx_cells = n_seq, cells_per_seq
        return self.ctx

    def run(self, requests: Sequence[Request], repeat_penalty: float,
            cancelled: Callable[[], bool] = lambda: False) -> list[Reply] | None:
        """Every request's reply, in order; None when `cancelled()` turned true mid-way."""
        if self.formatter is None:
            raise RuntimeError("this model has no chat template for batched generation")
        if not 0 < len(requests) <= MAX_SEQUENCES:
            raise ValueError(f"a batch holds 1 to {MAX_SEQUENCES} requests, not {len(requests)}")
        prompts = [self.prompt_tokens(r.messages) for r in requests]
        cells = max(len(p) + r.max_tokens for p, r in zip(prompts, requests, strict=True)) + 8
        cells = (cells + 255) // 256 * 256
        ctx = self._context(len(requests), cells)
        seqs = [_Sequence(self.lib, self.n_vocab, r, self.seed + i, repeat_penalty)
                for i, r in enumerate(requests)]
        batch = self.lib.llama_batch_init(512, 0, 1)
        try:
            if not self._prefill(ctx, batch, seqs, prompts, cancelled):
                return None
            while any(not s.done for s in seqs):
                if cancelled():
                    return None
                self._step(ctx, batch, seqs)
            return [Reply(s.text(), s.tokens) for s in seqs]
        finally:
            self.lib.llama_batch_free(batch)
            for s in seqs:
                s.close()

    def _decode(self, ctx: Any, batch: Any, n: int) -> None:
        batch.n_tokens = n
        status = self.lib.llama_decode(ctx, batch)
        if status != 0:
            raise RuntimeError(f"llama_decode failed (status {status}): the batch does not fit")

    def _prefill(self, ctx: Any, batch: Any, seqs: list[_Sequence], prompts: list[list[int]],
                 cancelled: Callable[[], bool]) -> bool:
        """Every prompt into the KV cache. The roles of one item share a long prefix (the
        system prompt, the question and the answer come first), which is decoded once, by
        the first of them, and copied to the others; then every prompt's remaining tokens
        but the last, 512 a call; then every last token in one final call. Each decode
        overwrites the logits of the one before, so that final call's logits are where
        each sequence samples its first token."""
        shared = [0] * len(prompts)  # prompt tokens already in each sequence's cache
        leaders: list[tuple[int, int]] = []  # (leader, shared prefix length)
        for i, prompt in enumerate(prompts):
            if leaders:
                leader, length = leaders[-1]
                common = common_prefix(prompts[leader], prompt)
                if common >= max(16, len(prompt) // 2):
                    leaders[-1] = (leader, min(length, common, len(prompt) - 1))
                    continue
            leaders.append((i, len(prompt) - 1))
        group_of = dict(leaders)
        prefixes = [(i, pos) for i, length in leaders for pos in range(length)]
        if not self._decode_all(ctx, batch, prompts, prefixes, cancelled):
            return False
        memory = self.lib.llama_get_memory(ctx)
        leader, length = 0, 0
        for i in range(len(prompts)):
            if i in group_of:
                leader, length = i, group_of[i]
                shared[i] = length
            else:
                self.lib.llama_memory_seq_cp(memory, leader, i, -1, -1)
                shared[i] = length
        rest = [(i, p) for i, prompt in enumerate(prompts)
                for p in range(shared[i], len(prompt) - 1)]
        if not self._decode_all(ctx, batch, prompts, rest, cancelled):
            return False
        for n, (s, prompt) in enumerate(zip(seqs, prompts, strict=True)):
            self._put(batch, n, prompt[-1], len(prompt) - 1, n, True)
            s.position, s.logits_index = len(prompt), n
        self._decode(ctx, batch, len(seqs))
        return True

    def _decode_all(self, ctx: Any, batch: Any, prompts: list[list[int]],
                    cells: list[tuple[int, int]], cancelled: Callable[[], bool]) -> bool:
        """Decode prompt tokens (sequence, position), 512 a call, no logits."""
        for start in range(0, len(cells), 512):
            if cancelled():
                return False
            chunk = cells[start:start + 512]
            for n, (seq, pos) in enumerate(chunk):
                self._put(batch, n, prompts[seq][pos], pos, seq, False)
            self._decode(ctx, batch, len(chunk))
        return True

    def _put(self, batch: Any, n: int, token: int, pos: int, seq_id: int, logits: bool) -> None:
        batch.token[n] = token
        batch.pos[n] = pos
        batch.n_seq_id[n] = 1
        batch.seq_id[n][0] = seq_id
        batch.logits[n] = logits

    def _step(self, ctx: Any, batch: Any, seqs: list[_Sequence]) -> None:
        """One token for every live sequence: sample from its last logits, then decode all
        the new tokens in one call."""
        lib = self.lib
        n = 0
        buffer = ctypes.create_string_buffer(64)
        for seq_id, s in enumerate(seqs):
            if s.done:
                continue
            token = lib.llama_sampler_sample(s.chain, ctx, s.logits_index)
            if lib.llama_vocab_is_eog(self.vocab, token):
                self._finish(ctx, seq_id, s)
                continue
            size = lib.llama_token_to_piece(self.vocab, token, buffer, len(buffer), 0, False)
            s.data += buffer.raw[:max(size, 0)]
            s.tokens += 1
            if s.tokens >= s.request.max_tokens or degenerate(s.text()):
                self._finish(ctx, seq_id, s)
                continue
            self._put(batch, n, token, s.position, seq_id, True)
            s.position += 1
            s.logits_index = n
            n += 1
        if n:
            self._decode(ctx, batch, n)

    def _finish(self, ctx: Any, seq_id: int, s: _Sequence) -> None:
        s.done = True
        self.lib.llama_memory_seq_rm(self.lib.llama_get_memory(ctx), seq_id, -1, -1)

    def close(self) -> None:
        if self.ctx is not None:
            self.lib.llama_free(self.ctx)
            self.ctx = None

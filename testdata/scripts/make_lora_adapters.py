#!/usr/bin/python3
"""Writes small PEFT-layout LoRA adapters for the tests, with random A and B (B is not zero, so each adapter
changes its model's outputs).

Each adapter is a folder with adapter_model.safetensors (written here by hand: 8-byte little-endian header
length, JSON header, raw little-endian data) and adapter_config.json, as PEFT's save_pretrained writes them:
tensor names base_model.model.<module>.lora_A.weight [r, in] and .lora_B.weight [out, r].

  minilm_qv    all-MiniLM-L6-v2 (BertModel): attention.self.query/value of 6 layers, r=4, alpha=8, A and B
               drawn with std 0.01 (a modest trained update; 0.05 for the tiny models)
  gpt2_c_attn  gpt2_tiny: the fused c_attn of 2 blocks, fan_in_fan_out=true (GPT-2's Conv1D), r=2, alpha=4
  llama_qv     llama_tiny: q_proj/v_proj of 2 layers, use_rslora=true, r=4, alpha=8 (scale alpha/sqrt(r))

Deterministic: fixed seeds, sorted keys. Run with Debian's python3 (numpy):
    /usr/bin/python3 testdata/scripts/make_lora_adapters.py
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "main", "resources", "dev", "tailor", "testdata",
                   "adapters")


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        blob = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def adapter(name, seed, modules, r, alpha, target_modules, fan_in_fan_out=False, rslora=False, std=0.05):
    rng = np.random.default_rng(seed)
    tensors = {}
    for module, (fan_in, fan_out) in modules:
        tensors["base_model.model." + module + ".lora_A.weight"] = rng.normal(0, std, (r, fan_in))
        tensors["base_model.model." + module + ".lora_B.weight"] = rng.normal(0, std, (fan_out, r))
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "adapter_model.safetensors"), tensors, {"format": "pt"})
    config = {
        "base_model_name_or_path": None, "bias": "none", "fan_in_fan_out": fan_in_fan_out, "inference_mode": True,
        "lora_alpha": alpha, "lora_dropout": 0.0, "modules_to_save": None, "peft_type": "LORA", "r": r,
        "target_modules": target_modules, "task_type": None, "use_rslora": rslora,
    }
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")


adapter("minilm_qv", 1, [("encoder.layer.%d.attention.self.%s" % (i, m), (384, 384))
                         for i in range(6) for m in ("query", "value")], 4, 8, ["query", "value"], std=0.01)
adapter("gpt2_c_attn", 2, [("transformer.h.%d.attn.c_attn" % i, (64, 192)) for i in range(2)], 2, 4, ["c_attn"],
        fan_in_fan_out=True)
adapter("llama_qv", 3, [("model.layers.%d.self_attn.%s" % (i, m), (64, out))
                        for i in range(2) for m, out in (("q_proj", 64), ("v_proj", 32))], 4, 8, ["q_proj", "v_proj"],
        rslora=True)

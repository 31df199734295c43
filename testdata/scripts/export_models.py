#!/usr/bin/python3
"""Export small, real PyTorch-made ONNX models for Tailor's tests.

Each model is written in plain torch so that it computes the way the Hugging Face
transformers (or torch.nn) module it mirrors computes: same module layout, same
tensor manipulations (view/permute/split/where/...), so the graph torch.onnx.export
produces looks like what a real export of that family looks like, only tiny.

Run with Debian's interpreter (torch 1.13, onnx 1.12):

    /usr/bin/python3 testdata/scripts/export_models.py

Outputs go to testdata/src/main/resources/dev/tailor/testdata/models/, together
with manifest.json, which records the architectural facts of every model (taken
from the configs below) and the anatomy of every exported graph.

Weights are random (torch.manual_seed per model). Linear/Embedding weights follow
the family's usual init (normal, small std); norm gains and biases are perturbed
away from 1/0 so that a compiler that drops or misplaces them gives other numbers.
"""

import collections
import hashlib
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 17
REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "testdata/src/main/resources/dev/tailor/testdata/models"

warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
warnings.filterwarnings("ignore", category=UserWarning)

try:  # optional: numerical check of every export against torch (Debian has no onnxruntime package)
    import onnxruntime
except ImportError:
    onnxruntime = None


def perturb_norms(module, scale=0.1):
    """Move norm gains off 1 and biases off 0 (deterministic under the caller's seed)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.LayerNorm, RMSNorm, T5LayerNorm)):
                m.weight.add_(scale * torch.randn_like(m.weight))
                if getattr(m, "bias", None) is not None:
                    m.bias.add_(scale * torch.randn_like(m.bias))


def init_hf(module, std=0.02, bias_std=0.02):
    """HF-style _init_weights (normal std for Linear/Embedding) with small random biases."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, std)
                if m.bias is not None:
                    m.bias.normal_(0.0, bias_std)
            elif isinstance(m, nn.Embedding):
                m.weight.normal_(0.0, std)
                if m.padding_idx is not None:
                    m.weight[m.padding_idx].zero_()
            elif isinstance(m, nn.LayerNorm):
                m.weight.fill_(1.0)
                m.bias.zero_()


# ---------------------------------------------------------------------------
# 1. BERT (HF BertModel, post-LN encoder)
# ---------------------------------------------------------------------------

BERT = dict(vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=256, max_position_embeddings=128, type_vocab_size=2,
            layer_norm_eps=1e-12, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=0)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).expand((1, -1)))

    def forward(self, input_ids, token_type_ids):
        seq_length = input_ids.size()[1]
        position_ids = self.position_ids[:, :seq_length]
        inputs_embeds = self.word_embeddings(input_ids)
        token_type_embeddings = self.token_type_embeddings(token_type_ids)
        embeddings = inputs_embeds + token_type_embeddings
        position_embeddings = self.position_embeddings(position_ids)
        embeddings += position_embeddings
        embeddings = self.LayerNorm(embeddings)
        embeddings = self.dropout(embeddings)
        return embeddings


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.num_attention_heads = c["num_attention_heads"]
        self.attention_head_size = c["hidden_size"] // c["num_attention_heads"]
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.query = nn.Linear(c["hidden_size"], self.all_head_size)
        self.key = nn.Linear(c["hidden_size"], self.all_head_size)
        self.value = nn.Linear(c["hidden_size"], self.all_head_size)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(new_x_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask):
        mixed_query_layer = self.query(hidden_states)
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        query_layer = self.transpose_for_scores(mixed_query_layer)
        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        attention_scores = attention_scores + attention_mask
        attention_probs = nn.functional.softmax(attention_scores, dim=-1)
        attention_probs = self.dropout(attention_probs)
        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_context_layer_shape = context_layer.size()[:-2] + (self.all_head_size,)
        context_layer = context_layer.view(new_context_layer_shape)
        return context_layer


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states)
        return self.LayerNorm(hidden_states + input_tensor)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, hidden_states, attention_mask):
        return self.output(self.self(hidden_states, attention_mask), hidden_states)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, hidden_states):
        return F.gelu(self.dense(hidden_states))  # exact (erf) GELU, HF "gelu"


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states)
        return self.LayerNorm(hidden_states + input_tensor)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, hidden_states, attention_mask):
        attention_output = self.attention(hidden_states, attention_mask)
        intermediate_output = self.intermediate(attention_output)
        return self.output(intermediate_output, attention_output)


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, input_ids, attention_mask, token_type_ids):
        # get_extended_attention_mask (HF < 4.21 used -10000.0)
        extended_attention_mask = attention_mask[:, None, None, :]
        extended_attention_mask = extended_attention_mask.to(dtype=torch.float32)
        extended_attention_mask = (1.0 - extended_attention_mask) * -10000.0
        hidden_states = self.embeddings(input_ids, token_type_ids)
        for layer in self.encoder:
            hidden_states = layer(hidden_states, extended_attention_mask)
        return hidden_states


# ---------------------------------------------------------------------------
# 2. GPT-2 (HF GPT2LMHeadModel, pre-LN decoder, Conv1D projections)
# ---------------------------------------------------------------------------

GPT2 = dict(vocab_size=1000, n_positions=128, n_embd=64, n_layer=2, n_head=4, n_inner=256,
            layer_norm_epsilon=1e-5, resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1)


class Conv1D(nn.Module):
    """HF pytorch_utils.Conv1D: weight is [nx, nf] and y = x @ W + b (via addmm)."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        w = torch.empty(nx, nf)
        nn.init.normal_(w, std=0.02)
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        x = x.view(size_out)
        return x


class NewGELUActivation(nn.Module):
    def forward(self, input):
        return 0.5 * input * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (input + 0.044715 * torch.pow(input, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        max_positions = c["n_positions"]
        self.register_buffer(
            "bias",
            torch.tril(torch.ones((max_positions, max_positions), dtype=torch.bool)).view(
                1, 1, max_positions, max_positions),
        )
        self.register_buffer("masked_bias", torch.tensor(-1e4))
        self.embed_dim = c["n_embd"]
        self.num_heads = c["n_head"]
        self.head_dim = self.embed_dim // self.num_heads
        self.split_size = self.embed_dim
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
        self.attn_dropout = nn.Dropout(c["attn_pdrop"])
        self.resid_dropout = nn.Dropout(c["resid_pdrop"])

    def _attn(self, query, key, value):
        attn_weights = torch.matmul(query, key.transpose(-1, -2))
        attn_weights = attn_weights / torch.full(
            [], value.size(-1) ** 0.5, dtype=attn_weights.dtype, device=attn_weights.device)
        query_length, key_length = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, key_length - query_length: key_length, :key_length].to(torch.bool)
        mask_value = torch.finfo(attn_weights.dtype).min
        mask_value = torch.full([], mask_value, dtype=attn_weights.dtype).to(attn_weights.device)
        attn_weights = torch.where(causal_mask, attn_weights.to(attn_weights.dtype), mask_value)
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_weights = attn_weights.type(value.dtype)
        attn_weights = self.attn_dropout(attn_weights)
        return torch.matmul(attn_weights, value)

    def _split_heads(self, tensor, num_heads, attn_head_size):
        new_shape = tensor.size()[:-1] + (num_heads, attn_head_size)
        tensor = tensor.view(new_shape)
        return tensor.permute(0, 2, 1, 3)

    def _merge_heads(self, tensor, num_heads, attn_head_size):
        tensor = tensor.permute(0, 2, 1, 3).contiguous()
        new_shape = tensor.size()[:-2] + (num_heads * attn_head_size,)
        return tensor.view(new_shape)

    def forward(self, hidden_states):
        query, key, value = self.c_attn(hidden_states).split(self.split_size, dim=2)
        query = self._split_heads(query, self.num_heads, self.head_dim)
        key = self._split_heads(key, self.num_heads, self.head_dim)
        value = self._split_heads(value, self.num_heads, self.head_dim)
        attn_output = self._attn(query, key, value)
        attn_output = self._merge_heads(attn_output, self.num_heads, self.head_dim)
        attn_output = self.c_proj(attn_output)
        attn_output = self.resid_dropout(attn_output)
        return attn_output


class GPT2MLP(nn.Module):
    def __init__(self, intermediate_size, c):
        super().__init__()
        self.c_fc = Conv1D(intermediate_size, c["n_embd"])
        self.c_proj = Conv1D(c["n_embd"], intermediate_size)
        self.act = NewGELUActivation()
        self.dropout = nn.Dropout(c["resid_pdrop"])

    def forward(self, hidden_states):
        hidden_states = self.c_fc(hidden_states)
        hidden_states = self.act(hidden_states)
        hidden_states = self.c_proj(hidden_states)
        return self.dropout(hidden_states)


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])
        self.attn = GPT2Attention(c)
        self.ln_2 = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])
        self.mlp = GPT2MLP(c["n_inner"], c)

    def forward(self, hidden_states):
        residual = hidden_states
        hidden_states = self.ln_1(hidden_states)
        attn_output = self.attn(hidden_states)
        hidden_states = attn_output + residual
        residual = hidden_states
        hidden_states = self.ln_2(hidden_states)
        feed_forward_hidden_states = self.mlp(hidden_states)
        return residual + feed_forward_hidden_states


class GPT2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.drop = nn.Dropout(c["embd_pdrop"])
        self.h = nn.ModuleList([GPT2Block(c) for _ in range(c["n_layer"])])
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])

    def forward(self, input_ids):
        input_shape = input_ids.size()
        input_ids = input_ids.view(-1, input_shape[-1])
        past_length = 0
        position_ids = torch.arange(past_length, input_shape[-1] + past_length, dtype=torch.long,
                                    device=input_ids.device)
        position_ids = position_ids.unsqueeze(0).view(-1, input_shape[-1])
        inputs_embeds = self.wte(input_ids)
        position_embeds = self.wpe(position_ids)
        hidden_states = inputs_embeds + position_embeds
        hidden_states = self.drop(hidden_states)
        output_shape = input_shape + (hidden_states.size(-1),)
        for block in self.h:
            hidden_states = block(hidden_states)
        hidden_states = self.ln_f(hidden_states)
        return hidden_states.view(output_shape)


class GPT2LMHeadModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = GPT2Model(c)
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)

    def tie_weights(self):
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, input_ids):
        return self.lm_head(self.transformer(input_ids))


# ---------------------------------------------------------------------------
# 3. Llama (HF LlamaForCausalLM ~4.31: RMSNorm, RoPE, GQA, SwiGLU)
# ---------------------------------------------------------------------------

LLAMA = dict(vocab_size=1000, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
             rms_norm_eps=1e-6, rope_theta=10000.0)


class RMSNorm(nn.Module):
    """LlamaRMSNorm."""

    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, dim, max_position_embeddings, base):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        t = torch.arange(max_position_embeddings, dtype=inv_freq.dtype)
        freqs = torch.einsum("i,j->ij", t, inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos_cached", emb.cos()[None, None, :, :], persistent=False)
        self.register_buffer("sin_cached", emb.sin()[None, None, :, :], persistent=False)

    def forward(self, x, seq_len):
        return (self.cos_cached[:, :, :seq_len, ...].to(dtype=x.dtype),
                self.sin_cached[:, :, :seq_len, ...].to(dtype=x.dtype))


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin, position_ids):
    cos = cos.squeeze(1).squeeze(0)  # [seq_len, dim]
    sin = sin.squeeze(1).squeeze(0)
    cos = cos[position_ids].unsqueeze(1)  # [bs, 1, seq_len, dim]
    sin = sin[position_ids].unsqueeze(1)
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed, k_embed


def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], c["hidden_size"], bias=False)
        self.act_fn = nn.SiLU()

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.hidden_size = c["hidden_size"]
        self.num_heads = c["num_attention_heads"]
        self.head_dim = self.hidden_size // self.num_heads
        self.num_key_value_heads = c["num_key_value_heads"]
        self.num_key_value_groups = self.num_heads // self.num_key_value_heads
        self.q_proj = nn.Linear(self.hidden_size, self.num_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(self.hidden_size, self.num_key_value_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(self.hidden_size, self.num_key_value_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, self.hidden_size, bias=False)
        self.rotary_emb = LlamaRotaryEmbedding(self.head_dim, c["max_position_embeddings"], c["rope_theta"])

    def forward(self, hidden_states, attention_mask, position_ids, past_key_value=None):
        bsz, q_len, _ = hidden_states.size()
        query_states = self.q_proj(hidden_states).view(bsz, q_len, self.num_heads, self.head_dim).transpose(1, 2)
        key_states = self.k_proj(hidden_states).view(
            bsz, q_len, self.num_key_value_heads, self.head_dim).transpose(1, 2)
        value_states = self.v_proj(hidden_states).view(
            bsz, q_len, self.num_key_value_heads, self.head_dim).transpose(1, 2)

        kv_seq_len = key_states.shape[-2]
        if past_key_value is not None:
            kv_seq_len += past_key_value[0].shape[-2]
        cos, sin = self.rotary_emb(value_states, seq_len=kv_seq_len)
        query_states, key_states = apply_rotary_pos_emb(query_states, key_states, cos, sin, position_ids)

        if past_key_value is not None:
            key_states = torch.cat([past_key_value[0], key_states], dim=2)
            value_states = torch.cat([past_key_value[1], value_states], dim=2)
        present = (key_states, value_states)

        key_states = repeat_kv(key_states, self.num_key_value_groups)
        value_states = repeat_kv(value_states, self.num_key_value_groups)

        attn_weights = torch.matmul(query_states, key_states.transpose(2, 3)) / math.sqrt(self.head_dim)
        attn_weights = attn_weights + attention_mask
        attn_weights = nn.functional.softmax(attn_weights, dim=-1, dtype=torch.float32).to(query_states.dtype)
        attn_output = torch.matmul(attn_weights, value_states)
        attn_output = attn_output.transpose(1, 2).contiguous()
        attn_output = attn_output.reshape(bsz, q_len, self.hidden_size)
        attn_output = self.o_proj(attn_output)
        return attn_output, present


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = LlamaAttention(c)
        self.mlp = LlamaMLP(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], eps=c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], eps=c["rms_norm_eps"])

    def forward(self, hidden_states, attention_mask, position_ids, past_key_value=None):
        residual = hidden_states
        hidden_states = self.input_layernorm(hidden_states)
        hidden_states, present = self.self_attn(hidden_states, attention_mask, position_ids, past_key_value)
        hidden_states = residual + hidden_states
        residual = hidden_states
        hidden_states = self.post_attention_layernorm(hidden_states)
        hidden_states = self.mlp(hidden_states)
        hidden_states = residual + hidden_states
        return hidden_states, present


def _make_causal_mask(input_ids_shape, dtype, device, past_key_values_length=0):
    bsz, tgt_len = input_ids_shape
    mask = torch.full((tgt_len, tgt_len), torch.finfo(dtype).min, device=device)
    mask_cond = torch.arange(mask.size(-1), device=device)
    mask.masked_fill_(mask_cond < (mask_cond + 1).view(mask.size(-1), 1), 0)
    mask = mask.to(dtype)
    if past_key_values_length > 0:
        mask = torch.cat([torch.zeros(tgt_len, past_key_values_length, dtype=dtype, device=device), mask], dim=-1)
    return mask[None, None, :, :].expand(bsz, 1, tgt_len, tgt_len + past_key_values_length)


def _expand_mask(mask, dtype, tgt_len=None):
    bsz, src_len = mask.size()
    tgt_len = tgt_len if tgt_len is not None else src_len
    expanded_mask = mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(dtype)
    inverted_mask = 1.0 - expanded_mask
    return inverted_mask.masked_fill(inverted_mask.to(torch.bool), torch.finfo(dtype).min)


class LlamaForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([LlamaDecoderLayer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], eps=c["rms_norm_eps"])
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)

    def forward(self, input_ids, attention_mask, past_key_values=None):
        batch_size, seq_length = input_ids.shape
        past_key_values_length = 0
        if past_key_values is not None:
            past_key_values_length = past_key_values[0][0].shape[2]
        position_ids = torch.arange(past_key_values_length, seq_length + past_key_values_length,
                                    dtype=torch.long, device=input_ids.device)
        position_ids = position_ids.unsqueeze(0).view(-1, seq_length)
        inputs_embeds = self.embed_tokens(input_ids)

        # _prepare_decoder_attention_mask
        input_shape = (batch_size, seq_length)
        combined_attention_mask = None
        if input_shape[-1] > 1:
            combined_attention_mask = _make_causal_mask(input_shape, inputs_embeds.dtype, inputs_embeds.device,
                                                        past_key_values_length=past_key_values_length)
        expanded_attn_mask = _expand_mask(attention_mask, inputs_embeds.dtype, tgt_len=input_shape[-1])
        attention_mask = (expanded_attn_mask if combined_attention_mask is None
                          else expanded_attn_mask + combined_attention_mask)

        hidden_states = inputs_embeds
        presents = []
        for idx, layer in enumerate(self.layers):
            past = past_key_values[idx] if past_key_values is not None else None
            hidden_states, present = layer(hidden_states, attention_mask, position_ids, past)
            presents.append(present)
        hidden_states = self.norm(hidden_states)
        logits = self.lm_head(hidden_states)
        return logits, presents


class LlamaNoCache(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m(input_ids, attention_mask)[0]


class LlamaWithCache(nn.Module):
    """Flat signature: input_ids, attention_mask, past_key_values.{i}.key, past_key_values.{i}.value ..."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, *past):
        pkv = [(past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2)]
        logits, presents = self.m(input_ids, attention_mask, pkv)
        flat = [logits]
        for k, v in presents:
            flat += [k, v]
        return tuple(flat)


# ---------------------------------------------------------------------------
# 4. ViT (HF ViTForImageClassification, pre-LN encoder)
# ---------------------------------------------------------------------------

VIT = dict(image_size=32, patch_size=4, num_channels=3, hidden_size=64, num_hidden_layers=2,
           num_attention_heads=4, intermediate_size=256, layer_norm_eps=1e-12, num_labels=10,
           hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


class ViTPatchEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.num_patches = (c["image_size"] // c["patch_size"]) ** 2
        self.projection = nn.Conv2d(c["num_channels"], c["hidden_size"], kernel_size=c["patch_size"],
                                    stride=c["patch_size"])

    def forward(self, pixel_values):
        return self.projection(pixel_values).flatten(2).transpose(1, 2)


class ViTEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cls_token = nn.Parameter(torch.randn(1, 1, c["hidden_size"]) * 0.02)
        self.patch_embeddings = ViTPatchEmbeddings(c)
        num_patches = self.patch_embeddings.num_patches
        self.position_embeddings = nn.Parameter(torch.randn(1, num_patches + 1, c["hidden_size"]) * 0.02)
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, pixel_values):
        batch_size = pixel_values.shape[0]
        embeddings = self.patch_embeddings(pixel_values)
        cls_tokens = self.cls_token.expand(batch_size, -1, -1)
        embeddings = torch.cat((cls_tokens, embeddings), dim=1)
        embeddings = embeddings + self.position_embeddings
        return self.dropout(embeddings)


class ViTSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, hidden_states):
        return self.dropout(self.dense(hidden_states))


class ViTSelfAttention(BertSelfAttention):
    """Same projections and head split as BERT, no mask."""

    def forward(self, hidden_states):
        mixed_query_layer = self.query(hidden_states)
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        query_layer = self.transpose_for_scores(mixed_query_layer)
        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        attention_probs = nn.functional.softmax(attention_scores, dim=-1)
        attention_probs = self.dropout(attention_probs)
        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_context_layer_shape = context_layer.size()[:-2] + (self.all_head_size,)
        return context_layer.view(new_context_layer_shape)


class ViTAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = ViTSelfAttention(c)
        self.output = ViTSelfOutput(c)

    def forward(self, hidden_states):
        return self.output(self.attention(hidden_states))


class ViTLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = ViTAttention(c)
        self.intermediate = BertIntermediate(c)  # dense + GELU(erf)
        self.output_dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.output_dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.layernorm_before = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.layernorm_after = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, hidden_states):
        attention_output = self.attention(self.layernorm_before(hidden_states))
        hidden_states = attention_output + hidden_states
        layer_output = self.layernorm_after(hidden_states)
        layer_output = self.intermediate(layer_output)
        # ViTOutput: dense, dropout, + residual
        layer_output = self.output_dropout(self.output_dense(layer_output))
        return layer_output + hidden_states


class ViTForImageClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = ViTEmbeddings(c)
        self.encoder = nn.ModuleList([ViTLayer(c) for _ in range(c["num_hidden_layers"])])
        self.layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.classifier = nn.Linear(c["hidden_size"], c["num_labels"])

    def forward(self, pixel_values):
        hidden_states = self.embeddings(pixel_values)
        for layer in self.encoder:
            hidden_states = layer(hidden_states)
        sequence_output = self.layernorm(hidden_states)
        return self.classifier(sequence_output[:, 0, :])


# ---------------------------------------------------------------------------
# 5. torch.nn.TransformerEncoder (post-LN and pre-LN)
# ---------------------------------------------------------------------------

TORCH_ENC = dict(d_model=64, nhead=4, dim_feedforward=128, num_layers=2, dropout=0.1,
                 activation="relu", layer_norm_eps=1e-5)


def make_torch_encoder(norm_first):
    c = TORCH_ENC
    layer = nn.TransformerEncoderLayer(d_model=c["d_model"], nhead=c["nhead"],
                                       dim_feedforward=c["dim_feedforward"], dropout=c["dropout"],
                                       activation=c["activation"], layer_norm_eps=c["layer_norm_eps"],
                                       batch_first=True, norm_first=norm_first)
    # Pre-LN stacks conventionally end with a final LayerNorm (as in nn.Transformer); post-LN ones do not.
    final_norm = nn.LayerNorm(c["d_model"], eps=c["layer_norm_eps"]) if norm_first else None
    enc = nn.TransformerEncoder(layer, num_layers=c["num_layers"], norm=final_norm, enable_nested_tensor=False)
    # TransformerEncoder deep-copies one layer, so every layer starts with the same weights (and the exporter
    # then shares them through Identity nodes). Give each layer its own weights, as a trained model has.
    with torch.no_grad():
        for lyr in enc.layers:
            nn.init.xavier_uniform_(lyr.self_attn.in_proj_weight)
            nn.init.xavier_uniform_(lyr.self_attn.out_proj.weight)
            nn.init.xavier_uniform_(lyr.linear1.weight)
            nn.init.xavier_uniform_(lyr.linear2.weight)
            for b in (lyr.self_attn.in_proj_bias, lyr.self_attn.out_proj.bias, lyr.linear1.bias, lyr.linear2.bias):
                b.normal_(0.0, 0.02)
    return enc


# ---------------------------------------------------------------------------
# 6. T5 (HF T5ForConditionalGeneration: T5LayerNorm, relative attention bias, ReLU FFN)
# ---------------------------------------------------------------------------

T5 = dict(vocab_size=512, d_model=64, d_kv=16, d_ff=256, num_layers=2, num_decoder_layers=2,
          num_heads=4, relative_attention_num_buckets=32, relative_attention_max_distance=128,
          layer_norm_epsilon=1e-6, dropout_rate=0.1, tie_word_embeddings=True)


class T5LayerNorm(nn.Module):
    """Scale only, no mean subtraction, no bias (RMSNorm)."""

    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states


class T5DenseActDense(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wi = nn.Linear(c["d_model"], c["d_ff"], bias=False)
        self.wo = nn.Linear(c["d_ff"], c["d_model"], bias=False)
        self.dropout = nn.Dropout(c["dropout_rate"])
        self.act = nn.ReLU()

    def forward(self, hidden_states):
        hidden_states = self.wi(hidden_states)
        hidden_states = self.act(hidden_states)
        hidden_states = self.dropout(hidden_states)
        return self.wo(hidden_states)


class T5LayerFF(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.DenseReluDense = T5DenseActDense(c)
        self.layer_norm = T5LayerNorm(c["d_model"], eps=c["layer_norm_epsilon"])
        self.dropout = nn.Dropout(c["dropout_rate"])

    def forward(self, hidden_states):
        forwarded_states = self.layer_norm(hidden_states)
        forwarded_states = self.DenseReluDense(forwarded_states)
        return hidden_states + self.dropout(forwarded_states)


class T5Attention(nn.Module):
    def __init__(self, c, is_decoder, has_relative_attention_bias):
        super().__init__()
        self.is_decoder = is_decoder
        self.has_relative_attention_bias = has_relative_attention_bias
        self.relative_attention_num_buckets = c["relative_attention_num_buckets"]
        self.relative_attention_max_distance = c["relative_attention_max_distance"]
        self.d_model = c["d_model"]
        self.key_value_proj_dim = c["d_kv"]
        self.n_heads = c["num_heads"]
        self.inner_dim = self.n_heads * self.key_value_proj_dim
        self.q = nn.Linear(self.d_model, self.inner_dim, bias=False)
        self.k = nn.Linear(self.d_model, self.inner_dim, bias=False)
        self.v = nn.Linear(self.d_model, self.inner_dim, bias=False)
        self.o = nn.Linear(self.inner_dim, self.d_model, bias=False)
        self.dropout = c["dropout_rate"]
        if self.has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(self.relative_attention_num_buckets, self.n_heads)

    @staticmethod
    def _relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
        relative_buckets = 0
        if bidirectional:
            num_buckets //= 2
            relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
            relative_position = torch.abs(relative_position)
        else:
            relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
        max_exact = num_buckets // 2
        is_small = relative_position < max_exact
        relative_position_if_large = max_exact + (
            torch.log(relative_position.float() / max_exact)
            / math.log(max_distance / max_exact)
            * (num_buckets - max_exact)
        ).to(torch.long)
        relative_position_if_large = torch.min(
            relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1))
        relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
        return relative_buckets

    def compute_bias(self, query_length, key_length, device=None):
        context_position = torch.arange(query_length, dtype=torch.long, device=device)[:, None]
        memory_position = torch.arange(key_length, dtype=torch.long, device=device)[None, :]
        relative_position = memory_position - context_position
        relative_position_bucket = self._relative_position_bucket(
            relative_position, bidirectional=(not self.is_decoder),
            num_buckets=self.relative_attention_num_buckets,
            max_distance=self.relative_attention_max_distance)
        values = self.relative_attention_bias(relative_position_bucket)
        values = values.permute([2, 0, 1]).unsqueeze(0)
        return values

    def forward(self, hidden_states, mask=None, key_value_states=None, position_bias=None):
        batch_size, seq_length = hidden_states.shape[:2]
        real_seq_length = seq_length
        key_length = real_seq_length if key_value_states is None else key_value_states.shape[1]

        def shape(states):
            return states.view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)

        def unshape(states):
            return states.transpose(1, 2).contiguous().view(batch_size, -1, self.inner_dim)

        query_states = shape(self.q(hidden_states))
        kv_in = hidden_states if key_value_states is None else key_value_states
        key_states = shape(self.k(kv_in))
        value_states = shape(self.v(kv_in))

        scores = torch.matmul(query_states, key_states.transpose(3, 2))  # no 1/sqrt(d) in T5
        if position_bias is None:
            if not self.has_relative_attention_bias:
                position_bias = torch.zeros((1, self.n_heads, real_seq_length, key_length),
                                            device=scores.device, dtype=scores.dtype)
            else:
                position_bias = self.compute_bias(real_seq_length, key_length, device=scores.device)
            if mask is not None:
                position_bias = position_bias + mask
        scores += position_bias
        attn_weights = nn.functional.softmax(scores.float(), dim=-1).type_as(scores)
        attn_weights = nn.functional.dropout(attn_weights, p=self.dropout, training=self.training)
        attn_output = unshape(torch.matmul(attn_weights, value_states))
        attn_output = self.o(attn_output)
        return attn_output, position_bias


class T5LayerSelfAttention(nn.Module):
    def __init__(self, c, is_decoder, has_relative_attention_bias):
        super().__init__()
        self.SelfAttention = T5Attention(c, is_decoder, has_relative_attention_bias)
        self.layer_norm = T5LayerNorm(c["d_model"], eps=c["layer_norm_epsilon"])
        self.dropout = nn.Dropout(c["dropout_rate"])

    def forward(self, hidden_states, attention_mask=None, position_bias=None):
        normed_hidden_states = self.layer_norm(hidden_states)
        attention_output, position_bias = self.SelfAttention(normed_hidden_states, mask=attention_mask,
                                                             position_bias=position_bias)
        return hidden_states + self.dropout(attention_output), position_bias


class T5LayerCrossAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.EncDecAttention = T5Attention(c, is_decoder=True, has_relative_attention_bias=False)
        self.layer_norm = T5LayerNorm(c["d_model"], eps=c["layer_norm_epsilon"])
        self.dropout = nn.Dropout(c["dropout_rate"])

    def forward(self, hidden_states, key_value_states, attention_mask=None, position_bias=None):
        normed_hidden_states = self.layer_norm(hidden_states)
        attention_output, position_bias = self.EncDecAttention(
            normed_hidden_states, mask=attention_mask, key_value_states=key_value_states,
            position_bias=position_bias)
        return hidden_states + self.dropout(attention_output), position_bias


class T5Block(nn.Module):
    def __init__(self, c, is_decoder, has_relative_attention_bias):
        super().__init__()
        self.is_decoder = is_decoder
        self.layer = nn.ModuleList([T5LayerSelfAttention(c, is_decoder, has_relative_attention_bias)])
        if is_decoder:
            self.layer.append(T5LayerCrossAttention(c))
        self.layer.append(T5LayerFF(c))

    def forward(self, hidden_states, attention_mask=None, position_bias=None, encoder_hidden_states=None,
                encoder_decoder_position_bias=None):
        hidden_states, position_bias = self.layer[0](hidden_states, attention_mask, position_bias)
        if self.is_decoder:
            hidden_states, encoder_decoder_position_bias = self.layer[1](
                hidden_states, encoder_hidden_states, None, encoder_decoder_position_bias)
        hidden_states = self.layer[-1](hidden_states)
        return hidden_states, position_bias, encoder_decoder_position_bias


class T5Stack(nn.Module):
    def __init__(self, c, embed_tokens, is_decoder, n_layers):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.is_decoder = is_decoder
        self.block = nn.ModuleList([T5Block(c, is_decoder, has_relative_attention_bias=(i == 0))
                                    for i in range(n_layers)])
        self.final_layer_norm = T5LayerNorm(c["d_model"], eps=c["layer_norm_epsilon"])
        self.dropout = nn.Dropout(c["dropout_rate"])

    def forward(self, input_ids, encoder_hidden_states=None):
        inputs_embeds = self.embed_tokens(input_ids)
        batch_size, seq_length = input_ids.shape
        extended_attention_mask = None
        if self.is_decoder:
            # ModuleUtilsMixin.create_extended_attention_mask_for_decoder, all-ones padding mask
            seq_ids = torch.arange(seq_length, device=input_ids.device)
            causal_mask = seq_ids[None, None, :].repeat(batch_size, seq_length, 1) <= seq_ids[None, :, None]
            causal_mask = causal_mask.to(inputs_embeds.dtype)
            extended_attention_mask = causal_mask[:, None, :, :]
            extended_attention_mask = (1.0 - extended_attention_mask) * torch.finfo(inputs_embeds.dtype).min
        position_bias = None
        encoder_decoder_position_bias = None
        hidden_states = self.dropout(inputs_embeds)
        for block in self.block:
            hidden_states, position_bias, encoder_decoder_position_bias = block(
                hidden_states, extended_attention_mask, position_bias, encoder_hidden_states,
                encoder_decoder_position_bias)
        hidden_states = self.final_layer_norm(hidden_states)
        return self.dropout(hidden_states)


class T5ForConditionalGeneration(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model_dim = c["d_model"]
        self.shared = nn.Embedding(c["vocab_size"], c["d_model"])
        self.encoder = T5Stack(c, self.shared, is_decoder=False, n_layers=c["num_layers"])
        self.decoder = T5Stack(c, self.shared, is_decoder=True, n_layers=c["num_decoder_layers"])
        self.lm_head = nn.Linear(c["d_model"], c["vocab_size"], bias=False)
        self.lm_head.weight = self.shared.weight  # tie_word_embeddings

    def forward(self, input_ids, decoder_input_ids):
        encoder_hidden_states = self.encoder(input_ids)
        sequence_output = self.decoder(decoder_input_ids, encoder_hidden_states)
        sequence_output = sequence_output * (self.model_dim ** -0.5)  # tied embeddings rescale
        return self.lm_head(sequence_output)


# ---------------------------------------------------------------------------
# 7. Small CNN (negative example: no attention, no transformer)
# ---------------------------------------------------------------------------

CNN = dict(channels=[16, 32, 64], num_classes=10, image_size=32)


class SmallCNN(nn.Module):
    def __init__(self, c):
        super().__init__()
        layers = []
        in_ch = 3
        for i, ch in enumerate(c["channels"]):
            layers += [nn.Conv2d(in_ch, ch, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(ch),
                       nn.ReLU(inplace=True)]
            if i < len(c["channels"]) - 1:
                layers.append(nn.MaxPool2d(2))
            in_ch = ch
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_ch, c["num_classes"])

    def forward(self, x):
        x = self.features(x)
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


# ---------------------------------------------------------------------------
# export and verification
# ---------------------------------------------------------------------------

DTYPES = {v: k for k, v in onnx.TensorProto.DataType.items()}


def value_infos(values):
    out = []
    for v in values:
        t = v.type.tensor_type
        dims = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]
        out.append({"name": v.name, "dtype": DTYPES[t.elem_type].lower(), "shape": dims})
    return out


def check_numerics(path, model, input_names, cases, rtol=1e-4):
    """Run the ONNX file with onnxruntime on inputs of other shapes than the traced ones and compare with torch."""
    if onnxruntime is None:
        print("   numerics: onnxruntime not importable, skipped")
        return
    sess = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for args in cases:
        with torch.no_grad():
            ref = model(*args)
        ref = ref if isinstance(ref, (tuple, list)) else (ref,)
        got = sess.run(None, {n: a.numpy() for n, a in zip(input_names, args)})
        assert len(ref) == len(got), (len(ref), len(got))
        worst = 0.0
        for r, g in zip(ref, got):
            r = r.numpy()
            assert r.shape == g.shape, (r.shape, g.shape)
            assert np.isfinite(g).all(), "non-finite output"
            worst = max(worst, float(np.abs(r - g).max()) / max(1.0, float(np.abs(r).max())))
        shapes = ", ".join("x".join(map(str, a.shape)) for a in args)
        print(f"   numerics vs torch, inputs {shapes}: max rel. error {worst:.2e}")
        assert worst < rtol, f"{path.name}: onnxruntime and torch differ by {worst}"


def export(name, model, args, input_names, output_names, dynamic_axes, cases=(), opset=OPSET):
    model.eval()
    path = OUT / name
    torch.onnx.export(model, args, str(path), export_params=True, opset_version=opset,
                      do_constant_folding=True, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes)
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    onnx.checker.check_model(str(path), full_check=True)  # also runs strict shape inference
    hist = collections.Counter(n.op_type for n in m.graph.node)
    params = sum(int(math.prod(t.dims)) for t in m.graph.initializer)
    size = path.stat().st_size
    print(f"\n== {name}: {size / 1024:.1f} KiB, {len(m.graph.node)} nodes, "
          f"{len(m.graph.initializer)} initializers ({params} values), opset {m.opset_import[0].version}")
    for op, n in sorted(hist.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"   {op:24s} {n}")
    check_numerics(path, model, input_names, [args, *cases])
    return {
        "file_size_bytes": size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "opset": m.opset_import[0].version,
        "ir_version": m.ir_version,
        "producer": f"{m.producer_name} {m.producer_version}",
        "inputs": value_infos(m.graph.input),
        "outputs": value_infos(m.graph.output),
        "node_count": len(m.graph.node),
        "op_histogram": dict(sorted(hist.items())),
        "initializer_count": len(m.graph.initializer),
        "initializer_values": params,
    }


def kv_case(c, batch, seq, past):
    """Inputs for llama_tiny_kv.onnx: a left-padded batch with `past` cached positions."""
    head_dim = c["hidden_size"] // c["num_attention_heads"]
    mask = torch.ones(batch, past + seq, dtype=torch.long)
    if batch > 1 and past + seq > 2:
        mask[-1, :1] = 0
    pkv = [torch.randn(batch, c["num_key_value_heads"], past, head_dim)
           for _ in range(2 * c["num_hidden_layers"])]
    return (torch.randint(0, c["vocab_size"], (batch, seq)), mask, *pkv)


def torch_param_count(model):
    """Unique trainable parameters of the torch module (tied weights counted once)."""
    return sum(p.numel() for p in model.parameters())


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {
        "generator": "testdata/scripts/export_models.py",
        "regenerate": "/usr/bin/python3 testdata/scripts/export_models.py",
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "note": "Architecture facts come from the configs in export_models.py; inputs, outputs, node_count and "
                "op_histogram come from the exported graphs (top-level nodes only: the then/else subgraphs of If "
                "nodes are not counted). Dropout is absent from all graphs (eval-mode export).",
        "models": {},
    }
    models = manifest["models"]
    dyn_bs = {0: "batch", 1: "sequence"}

    # 1. BERT
    torch.manual_seed(0)
    c = BERT
    bert = BertModel(c)
    init_hf(bert)
    perturb_norms(bert)
    ids = torch.randint(1, c["vocab_size"], (2, 8))
    mask = torch.tensor([[1] * 8, [1] * 5 + [0] * 3])
    tt = torch.tensor([[0] * 4 + [1] * 4, [0] * 8])
    info = export("bert_tiny.onnx", bert, (ids, mask, tt),
                  ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"],
                  {"input_ids": dyn_bs, "attention_mask": dyn_bs, "token_type_ids": dyn_bs,
                   "last_hidden_state": dyn_bs},
                  cases=[(torch.randint(1, c["vocab_size"], (3, 5)), torch.tensor([[1] * 5, [1] * 3 + [0] * 2, [1] * 5]),
                          torch.tensor([[0, 0, 1, 1, 1]] * 3)),
                         (torch.randint(1, c["vocab_size"], (1, 13)), torch.ones(1, 13, dtype=torch.long),
                          torch.zeros(1, 13, dtype=torch.long))])
    models["bert_tiny.onnx"] = {
        "family": "bert", "mirrors": "transformers BertModel (encoder only, no pooler)",
        "architecture": "encoder",
        "layers": c["num_hidden_layers"], "hidden_size": c["hidden_size"],
        "num_heads": c["num_attention_heads"], "num_kv_heads": c["num_attention_heads"],
        "head_dim": c["hidden_size"] // c["num_attention_heads"], "ffn_size": c["intermediate_size"],
        "activation": "gelu_erf", "ffn_kind": "dense",
        "norm": {"kind": "layernorm", "placement": "post", "eps": c["layer_norm_eps"],
                 "embedding_norm": True, "final_norm": False},
        "attention": {"qkv": "separate", "qkv_bias": True, "out_bias": True, "scale": "1/sqrt(head_dim)",
                      "mask": "additive (1-attention_mask)*-10000", "causal": False},
        "positions": "learned absolute (position_embeddings) + token_type_embeddings",
        "vocab_size": c["vocab_size"], "max_positions": c["max_position_embeddings"],
        "tied_lm_head": None, "torch_parameters": torch_param_count(bert), **info,
    }

    # 2. GPT-2
    torch.manual_seed(1)
    c = GPT2
    gpt2 = GPT2LMHeadModel(c)
    init_hf(gpt2)
    with torch.no_grad():
        for mod in gpt2.modules():
            if isinstance(mod, Conv1D):
                mod.weight.normal_(0.0, 0.02)
                mod.bias.normal_(0.0, 0.02)
    gpt2.tie_weights()
    perturb_norms(gpt2)
    ids = torch.randint(0, c["vocab_size"], (2, 8))
    info = export("gpt2_tiny.onnx", gpt2, (ids,), ["input_ids"], ["logits"],
                  {"input_ids": dyn_bs, "logits": dyn_bs},
                  cases=[(torch.randint(0, c["vocab_size"], (3, 5)),), (torch.randint(0, c["vocab_size"], (1, 17)),)])
    models["gpt2_tiny.onnx"] = {
        "family": "gpt2", "mirrors": "transformers GPT2LMHeadModel (no KV cache, no attention_mask)",
        "architecture": "decoder",
        "layers": c["n_layer"], "hidden_size": c["n_embd"], "num_heads": c["n_head"],
        "num_kv_heads": c["n_head"], "head_dim": c["n_embd"] // c["n_head"], "ffn_size": c["n_inner"],
        "activation": "gelu_tanh", "ffn_kind": "dense",
        "norm": {"kind": "layernorm", "placement": "pre", "eps": c["layer_norm_epsilon"],
                 "embedding_norm": False, "final_norm": True},
        "attention": {"qkv": "fused (Conv1D c_attn [hidden, 3*hidden], addmm -> Gemm, then Split)",
                      "qkv_bias": True, "out_bias": True, "scale": "1/sqrt(head_dim)",
                      "mask": "causal via tril bool buffer + Where(mask, scores, finfo.min)", "causal": True},
        "positions": "learned absolute (wpe)",
        "vocab_size": c["vocab_size"], "max_positions": c["n_positions"],
        "tied_lm_head": True, "torch_parameters": torch_param_count(gpt2), **info,
    }

    # 3. Llama (+ KV-cache variant with the same weights)
    torch.manual_seed(2)
    c = LLAMA
    llama = LlamaForCausalLM(c)
    init_hf(llama)
    perturb_norms(llama)
    ids = torch.randint(0, c["vocab_size"], (2, 8))
    mask = torch.tensor([[1] * 8, [0] * 2 + [1] * 6])  # left padding, as for generation
    head_dim = c["hidden_size"] // c["num_attention_heads"]
    llama_facts = {
        "family": "llama", "architecture": "decoder",
        "layers": c["num_hidden_layers"], "hidden_size": c["hidden_size"],
        "num_heads": c["num_attention_heads"], "num_kv_heads": c["num_key_value_heads"],
        "head_dim": head_dim, "ffn_size": c["intermediate_size"],
        "activation": "silu", "ffn_kind": "swiglu (down(silu(gate(x)) * up(x)))",
        "norm": {"kind": "rmsnorm", "placement": "pre", "eps": c["rms_norm_eps"],
                 "embedding_norm": False, "final_norm": True},
        "attention": {"qkv": "separate", "qkv_bias": False, "out_bias": False, "scale": "1/sqrt(head_dim)",
                      "gqa": True, "kv_groups": c["num_attention_heads"] // c["num_key_value_heads"],
                      "mask": "causal (full finfo.min + masked_fill) + expanded padding mask, added",
                      "causal": True},
        "positions": f"rotary (rotate_half, theta {c['rope_theta']}, cos/sin cache of "
                     f"{c['max_position_embeddings']})",
        "vocab_size": c["vocab_size"], "max_positions": c["max_position_embeddings"],
        "tied_lm_head": False, "torch_parameters": torch_param_count(llama),
    }
    info = export("llama_tiny.onnx", LlamaNoCache(llama), (ids, mask), ["input_ids", "attention_mask"],
                  ["logits"], {"input_ids": dyn_bs, "attention_mask": dyn_bs, "logits": dyn_bs},
                  cases=[(torch.randint(0, c["vocab_size"], (3, 5)), torch.tensor([[1] * 5, [0] * 3 + [1] * 2, [1] * 5])),
                         (torch.randint(0, c["vocab_size"], (1, 1)), torch.ones(1, 1, dtype=torch.long)),
                         (torch.randint(0, c["vocab_size"], (2, 11)), torch.ones(2, 11, dtype=torch.long))])
    models["llama_tiny.onnx"] = {"mirrors": "transformers LlamaForCausalLM (~4.31, no KV cache)",
                                 **llama_facts, **info}

    past_len = 3
    kv = c["num_key_value_heads"]
    past = []
    pnames, onames, dyn = [], ["logits"], {"input_ids": dyn_bs, "attention_mask": {0: "batch", 1: "total_sequence"},
                                         "logits": dyn_bs}
    for i in range(c["num_hidden_layers"]):
        for kind in ("key", "value"):
            past.append(torch.randn(2, kv, past_len, head_dim))
            pn, on = f"past_key_values.{i}.{kind}", f"present.{i}.{kind}"
            pnames.append(pn)
            onames.append(on)
            dyn[pn] = {0: "batch", 2: "past_sequence"}
            dyn[on] = {0: "batch", 2: "total_sequence"}
    kv_mask = torch.ones(2, past_len + 8, dtype=torch.long)
    kv_mask[1, :2] = 0
    info = export("llama_tiny_kv.onnx", LlamaWithCache(llama), (ids, kv_mask, *past),
                  ["input_ids", "attention_mask"] + pnames, onames, dyn,
                  cases=[kv_case(c, batch=2, seq=1, past=4), kv_case(c, batch=3, seq=3, past=2),
                         kv_case(c, batch=1, seq=6, past=0)])
    models["llama_tiny_kv.onnx"] = {
        "mirrors": "transformers LlamaForCausalLM (~4.31) with past_key_values / present (optimum naming); "
                   "same weights as llama_tiny.onnx",
        **llama_facts, "kv_cache": {"layout": "[batch, num_kv_heads, sequence, head_dim]",
                                    "present_includes_past": True}, **info}

    # 4. ViT
    torch.manual_seed(3)
    c = VIT
    vit = ViTForImageClassification(c)
    init_hf(vit)
    with torch.no_grad():
        nn.init.trunc_normal_(vit.embeddings.patch_embeddings.projection.weight, std=0.02)
        vit.embeddings.patch_embeddings.projection.bias.normal_(0.0, 0.02)
    perturb_norms(vit)
    px = torch.randn(2, 3, 32, 32)
    info = export("vit_tiny.onnx", vit, (px,), ["pixel_values"], ["logits"],
                  {"pixel_values": {0: "batch"}, "logits": {0: "batch"}},
                  cases=[(torch.randn(3, 3, 32, 32),), (torch.randn(1, 3, 32, 32),)])
    n_patches = (c["image_size"] // c["patch_size"]) ** 2
    models["vit_tiny.onnx"] = {
        "family": "vit", "mirrors": "transformers ViTForImageClassification (hand-written attention as in HF)",
        "architecture": "encoder",
        "layers": c["num_hidden_layers"], "hidden_size": c["hidden_size"],
        "num_heads": c["num_attention_heads"], "num_kv_heads": c["num_attention_heads"],
        "head_dim": c["hidden_size"] // c["num_attention_heads"], "ffn_size": c["intermediate_size"],
        "activation": "gelu_erf", "ffn_kind": "dense",
        "norm": {"kind": "layernorm", "placement": "pre", "eps": c["layer_norm_eps"],
                 "embedding_norm": False, "final_norm": True},
        "attention": {"qkv": "separate", "qkv_bias": True, "out_bias": True, "scale": "1/sqrt(head_dim)",
                      "mask": None, "causal": False},
        "positions": "learned absolute (position_embeddings parameter) + cls token",
        "patch_embedding": {"kind": "Conv2d", "patch_size": c["patch_size"], "image_size": c["image_size"],
                            "channels": c["num_channels"], "num_patches": n_patches,
                            "tokens": n_patches + 1},
        "num_labels": c["num_labels"], "tied_lm_head": None,
        "torch_parameters": torch_param_count(vit), **info,
    }

    # 5. torch.nn.TransformerEncoder, post-LN and pre-LN
    for seed, norm_first, name in ((4, False, "torch_encoder_postln.onnx"), (5, True, "torch_encoder_preln.onnx")):
        torch.manual_seed(seed)
        c = TORCH_ENC
        enc = make_torch_encoder(norm_first)
        perturb_norms(enc)
        enc.eval()
        src = torch.randn(2, 8, c["d_model"])
        # The fast path (torch._transformer_encoder_layer_fwd, not exportable) is skipped because grad is
        # enabled and the parameters require grad; assert that, so a torch upgrade cannot silently change it.
        assert torch.is_grad_enabled() and all(p.requires_grad for p in enc.parameters())
        info = export(name, enc, (src,), ["src"], ["output"], {"src": dyn_bs, "output": dyn_bs},
                      cases=[(torch.randn(3, 5, c["d_model"]),), (torch.randn(1, 12, c["d_model"]),)])
        assert "LayerNormalization" in info["op_histogram"], info["op_histogram"]
        models[name] = {
            "family": "torch_transformer_encoder",
            "mirrors": f"torch.nn.TransformerEncoder(TransformerEncoderLayer(d_model={c['d_model']}, "
                       f"nhead={c['nhead']}, dim_feedforward={c['dim_feedforward']}, batch_first=True, "
                       f"norm_first={norm_first}), num_layers={c['num_layers']}"
                       + (", norm=LayerNorm)" if norm_first else ")"),
            "architecture": "encoder",
            "layers": c["num_layers"], "hidden_size": c["d_model"], "num_heads": c["nhead"],
            "num_kv_heads": c["nhead"], "head_dim": c["d_model"] // c["nhead"],
            "ffn_size": c["dim_feedforward"], "activation": c["activation"], "ffn_kind": "dense",
            "norm": {"kind": "layernorm", "placement": "pre" if norm_first else "post",
                     "eps": c["layer_norm_eps"], "embedding_norm": False, "final_norm": norm_first},
            "attention": {"qkv": "fused in_proj_weight [3*d_model, d_model] (nn.MultiheadAttention)",
                          "qkv_bias": True, "out_bias": True, "scale": "1/sqrt(head_dim)", "mask": None,
                          "causal": False},
            "positions": None, "tied_lm_head": None,
            "torch_parameters": torch_param_count(enc), **info,
        }

    # 6. T5
    torch.manual_seed(6)
    c = T5
    t5 = T5ForConditionalGeneration(c)
    with torch.no_grad():
        for mod in t5.modules():
            if isinstance(mod, nn.Linear):
                mod.weight.normal_(0.0, mod.in_features ** -0.5)
            elif isinstance(mod, nn.Embedding):
                mod.weight.normal_(0.0, 1.0)
    perturb_norms(t5)
    ids = torch.randint(0, c["vocab_size"], (2, 8))
    dec = torch.randint(0, c["vocab_size"], (2, 6))
    info = export("t5_tiny.onnx", t5, (ids, dec), ["input_ids", "decoder_input_ids"], ["logits"],
                  {"input_ids": {0: "batch", 1: "encoder_sequence"},
                   "decoder_input_ids": {0: "batch", 1: "decoder_sequence"},
                   "logits": {0: "batch", 1: "decoder_sequence"}},
                  cases=[(torch.randint(0, c["vocab_size"], (3, 5)), torch.randint(0, c["vocab_size"], (3, 4))),
                         (torch.randint(0, c["vocab_size"], (1, 9)), torch.randint(0, c["vocab_size"], (1, 1))),
                         (torch.randint(0, c["vocab_size"], (2, 40)), torch.randint(0, c["vocab_size"], (2, 24)))])
    models["t5_tiny.onnx"] = {
        "family": "t5", "mirrors": "transformers T5ForConditionalGeneration (v1.0 style, no attention_mask "
                                   "inputs, no KV cache)",
        "architecture": "encoder-decoder",
        "layers": c["num_layers"], "encoder_layers": c["num_layers"], "decoder_layers": c["num_decoder_layers"],
        "hidden_size": c["d_model"], "num_heads": c["num_heads"], "num_kv_heads": c["num_heads"],
        "head_dim": c["d_kv"], "ffn_size": c["d_ff"], "activation": "relu", "ffn_kind": "dense (no bias)",
        "norm": {"kind": "rmsnorm (T5LayerNorm: no mean subtraction, no bias)", "placement": "pre",
                 "eps": c["layer_norm_epsilon"], "embedding_norm": False, "final_norm": True},
        "attention": {"qkv": "separate", "qkv_bias": False, "out_bias": False, "scale": None,
                      "mask": "decoder self-attention: causal (1-causal)*finfo.min added to position bias; "
                              "encoder and cross-attention: none",
                      "causal": "decoder self-attention only", "cross_attention": True},
        "positions": f"relative attention bias ({c['relative_attention_num_buckets']} buckets, max distance "
                     f"{c['relative_attention_max_distance']}; bidirectional in encoder, unidirectional in "
                     f"decoder; computed in the first block, shared by later blocks)",
        "vocab_size": c["vocab_size"], "tied_lm_head": True,
        "lm_head_scale": f"d_model**-0.5 = {c['d_model'] ** -0.5}",
        "torch_parameters": torch_param_count(t5), **info,
    }

    # 7. CNN
    torch.manual_seed(7)
    c = CNN
    cnn = SmallCNN(c)
    with torch.no_grad():
        for mod in cnn.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.normal_(0.0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.normal_(1.0, 0.1)
                mod.bias.normal_(0.0, 0.1)
    px = torch.randn(2, 3, 32, 32)
    info = export("cnn_small.onnx", cnn, (px,), ["input"], ["logits"],
                  {"input": {0: "batch"}, "logits": {0: "batch"}},
                  cases=[(torch.randn(3, 3, 32, 32),)])
    models["cnn_small.onnx"] = {
        "family": "cnn", "mirrors": "plain torch CNN: (Conv3x3-BatchNorm-ReLU[-MaxPool2]) x3, "
                                   "AdaptiveAvgPool, Linear",
        "architecture": "cnn", "transformer": False,
        "layers": len(c["channels"]), "channels": c["channels"], "hidden_size": None, "num_heads": None,
        "num_kv_heads": None, "ffn_size": None, "activation": "relu",
        "norm": {"kind": "batchnorm", "placement": "post (after each Conv)",
                 "exported_as": "folded into Conv weights by the eval-mode exporter"},
        "num_labels": c["num_classes"], "torch_parameters": torch_param_count(cnn), **info,
    }

    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(m["file_size_bytes"] for m in models.values())
    print(f"\nwrote {len(models)} models, {total / 1024:.1f} KiB in all, and manifest.json to {OUT}")


if __name__ == "__main__":
    sys.exit(main())

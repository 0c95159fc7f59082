#!/usr/bin/env python3
"""Runs DeepSeek's OFFICIAL inference code (inference/model.py of deepseek-ai/DeepSeek-V3.2-Exp) on the CPU and
writes its logits and decisions in this project's formats, so that `./dsv32 parity` can judge it step by step.

    python3 conformance/python/dsv32_official.py --official DIR --checkpoint DIR --script S.json \
        --mode exact|fp8 [--act-dtype float64|float32] --out LOGITS.safetensors [--trace TRACE.safetensors] [--trace-hidden]

DIR (--official) is the checkout's root, holding inference/model.py, at or after the 2025-11-17 "fix indexer rope"
commit (8631a81; an older checkout is refused, recognised by its indexer rotating interleaved). The checkpoint is one
in the Hugging Face layout (`./dsv32 tiny-checkpoint`). The script is the one `./dsv32 logits --script` reads.

What runs is the official code itself: its modules, its norms and their fp32 points, its rotary tables, its MLA
(prefill MHA and absorbed decode), its indexer and its own `torch.topk` calls (their order of equal scores is exactly
what a parity check must see). Nothing is patched on disk. In memory, and only where the official code cannot run on a
CPU or without its GPU kernels:

- `kernel` (TileLang, CUDA only) is replaced by pure-PyTorch stand-ins written from spec/SEMANTICS.md sections 3, 4 and
  8: `act_quant` (1x128 tiles, amax floor 1e-4, s = fp32(amax) * fp32(1/448), ue8m0 rounding up from the fp32 bits,
  e4m3 round-to-nearest-even with saturation), `fp8_gemm` (block-scaled product of the e4m3 values, in the activation
  dtype) and `fp8_index` (sum over heads of ReLU(q.k) times the head weight, times k's scale). In exact mode act_quant
  is the identity (scale 1): no activation rounding point.
- `fast_hadamard_transform` (CUDA only) by a Sylvester-order Hadamard transform, and `rotate_activation` by the same
  call without its `assert x.dtype == torch.bfloat16` (the CUDA kernel's only dtype; the transform itself is unchanged).
- `torch.distributed`: `dist.broadcast` of the indexer is a no-op (world size 1, no process group).
- PyTorch without a float8 dtype (1.13): `torch.float8_e4m3fn` is an alias of float16, and FP8 weights and codes are
  held as float16 tensors of e4m3 VALUES (every e4m3 value is exact in float16). With PyTorch 2.x the real dtype is used.
- TRAP of the official code: its `Gate` creates the expert-selection bias only when dim == 7168 (the 671B model), so
  on any smaller checkpoint it would silently route without `e_score_correction_bias` (and score groups by their max
  instead of the sum of their top two). The kit loads the checkpoint's bias into every gate, as DeepSeek-V3.2 defines.
- Exact mode only: the indexer's k cache, an FP8 buffer in model.py, is replaced by a float64 one (exact mode has no
  rounding point; the stand-in act_quant hands the keys over unrounded).
- The official code has no MTP layer in a logits run (convert.py drops it); it is not loaded.

Modes. exact: float64 default dtype, act_quant the identity (the official code's own fp32 points remain: its norms,
RoPE, router, indexer weights, kv round trip, head). fp8: the deployment rounding points through the stand-ins, with
activations in float64 (default) or float32 (--act-dtype).

Exit codes: 0 done, 2 bad input (one line on stderr).
"""
import argparse
import hashlib
import json
import math
import os
import platform
import re
import struct
import subprocess
import sys
import types

BLOCK = 128
E4M3_MAX = 448.0


class Refused(Exception):
    """Bad input: one line, exit 2."""


# ---------------------------------------------------------------- safetensors (no package needed)

_ST_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "F8_E4M3": 1, "BOOL": 1}


def e4m3_value(code):
    """The value of an e4m3 (fn) code: 4 exponent bits (bias 7), 3 mantissa bits, no inf, NaN at S.1111.111."""
    sign = -1.0 if code & 0x80 else 1.0
    e, m = (code >> 3) & 0xF, code & 0x7
    if e == 0xF and m == 0x7:
        return float("nan")
    if e == 0:
        return sign * (m / 8.0) * 2.0 ** -6
    return sign * (1.0 + m / 8.0) * 2.0 ** (e - 7)


E4M3_TABLE = [e4m3_value(c) for c in range(256)]


def read_safetensors(path):
    """{name: torch tensor} (F8_E4M3 decoded to float64 values, BF16 widened to float32) and the metadata."""
    import torch
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise Refused("%s: not a safetensors file (shorter than its 8-byte header length)" % path)
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise Refused("%s: header length %d past the end of the file" % (path, n))
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except ValueError as e:
        raise Refused("%s: header is not JSON (%s)" % (path, e))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    table = None
    out = {}
    for name, info in header.items():
        dtype, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
        buf = bytearray(data[b:e])
        count = 1
        for d in shape:
            count *= d
        if dtype not in _ST_DTYPES or _ST_DTYPES[dtype] * count != e - b:
            raise Refused("%s: tensor %s: dtype %s and shape %s do not match its %d bytes" % (path, name, dtype, shape, e - b))
        if count == 0:
            out[name] = torch.zeros(shape, dtype=torch.float64)
            continue
        if dtype == "F8_E4M3":
            if table is None:
                table = torch.tensor(E4M3_TABLE, dtype=torch.float64)
            t = table[torch.frombuffer(buf, dtype=torch.uint8).long()]
        elif dtype == "BF16":
            t = (torch.frombuffer(buf, dtype=torch.int16).int() << 16).view(torch.float32)
        else:
            t = torch.frombuffer(buf, dtype={"F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
                                            "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
                                            "U8": torch.uint8, "BOOL": torch.bool}[dtype]).clone()
        out[name] = t.reshape(shape)
    return out, meta


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} (float64, float32 or int32) with string metadata, atomically (a temporary file renamed)."""
    import torch
    names = list(tensors)
    header, chunks, offset = {"__metadata__": {k: str(v) for k, v in metadata.items()}}, [], 0
    for n in names:
        t = tensors[n].detach().contiguous()
        code = {torch.float64: "F64", torch.float32: "F32", torch.int32: "I32"}[t.dtype]
        b = t.numpy().tobytes() if t.numel() else b""
        header[n] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp-%d" % os.getpid()
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for c in chunks:
                f.write(c)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# ---------------------------------------------------------------- the arithmetic of the stand-ins (spec/SEMANTICS.md)

def round_e4m3(v):
    """Nearest e4m3 value of each element, ties to even, saturating at +-448 (float64 in, float64 out)."""
    import torch
    v = v.to(torch.float64).clamp(-E4M3_MAX, E4M3_MAX)
    _, e = torch.frexp(v)                      # |v| = m 2^e, m in [0.5, 1): the binade's exponent is e - 1
    e = torch.clamp(e - 1, min=-6)             # subnormals share the spacing of the lowest binade
    step = torch.pow(torch.tensor(2.0, dtype=torch.float64), (e - 3).to(torch.float64))
    return (torch.round(v / step) * step).clamp(-E4M3_MAX, E4M3_MAX)   # torch.round: half to even


def ue8m0_round_up(s):
    """A positive fp32 scale rounded UP to a power of two from its bits (exponent, plus one if the mantissa is non-zero)."""
    import torch
    m, e = torch.frexp(s.to(torch.float32))
    return torch.where(m == 0.5, s.to(torch.float32), torch.ldexp(torch.ones_like(s, dtype=torch.float32), e.to(torch.float32)))


def hadamard(x, scale):
    """Sylvester-order Hadamard transform over the last dimension (a power of two), times scale."""
    import torch
    n = x.size(-1)
    assert n & (n - 1) == 0, "Hadamard transform needs a power-of-two size, got %d" % n
    y = x.reshape(-1, n)
    h = 1
    while h < n:
        y = y.view(-1, n // (2 * h), 2, h)
        a, b = y[:, :, 0, :], y[:, :, 1, :]
        y = torch.stack((a + b, a - b), dim=2).reshape(-1, n)
        h *= 2
    return (y * scale).view(x.shape)


class Kernels:
    """The stand-ins of kernel.py; the mode decides whether act_quant rounds. Records the indexer's last scores."""

    def __init__(self, mode, fp8_dtype):
        self.mode = mode
        self.fp8 = fp8_dtype
        self.last_index_score = None

    def act_quant(self, x, block_size=BLOCK, scale_fmt=None):
        import torch
        assert x.size(-1) % block_size == 0, "act_quant: last dimension %d is not a multiple of %d" % (x.size(-1), block_size)
        tiles = x.shape[:-1] + (x.size(-1) // block_size, block_size)
        if self.mode == "exact":
            return x.clone(), torch.ones(tiles[:-1], dtype=torch.float32)
        xt = x.reshape(tiles).to(torch.float64)
        amax = xt.abs().amax(dim=-1).clamp(min=1e-4)
        s = amax.to(torch.float32) * torch.tensor(1.0 / E4M3_MAX, dtype=torch.float32)
        if scale_fmt is not None:
            s = ue8m0_round_up(s)
        q = round_e4m3(xt / s.to(torch.float64).unsqueeze(-1))
        return q.to(self.fp8).reshape(x.shape), s

    def fp8_gemm(self, a, a_s, b, b_s):
        """y = (q_a * s_a) (q_b * s_b)^T with 128-wide activation tiles and 128x128 weight blocks, in the default dtype."""
        import torch
        dt = torch.get_default_dtype()
        k = a.size(-1)
        av = a.to(dt).reshape(a.shape[:-1] + (k // BLOCK, BLOCK)) * a_s.to(dt).unsqueeze(-1)
        n = b.size(0)
        sb = b_s.to(dt).repeat_interleave(BLOCK, 0)[:n].repeat_interleave(BLOCK, 1)[:, :k]
        return torch.matmul(av.reshape(a.shape), (b.to(dt) * sb).t())

    def fp8_index(self, q, q_s, k, k_s):
        """I[b, m, n] = sum_h ReLU(q[b, m, h] . k[b, n]) * q_s[b, m, h] * k_s[b, n] (SEMANTICS section 8)."""
        import torch
        dt = torch.get_default_dtype()
        logits = torch.einsum("bmhd,bnd->bmhn", q.to(dt), k.to(dt)).clamp(min=0)
        score = (logits * q_s.to(dt)).sum(dim=2) * k_s.to(dt).reshape(k.size(0), 1, k.size(1))
        self.last_index_score = score
        return score


# ---------------------------------------------------------------- loading the official code

def load_official(official_dir, kernels, fp8_dtype):
    """Imports DIR/inference/model.py with the stand-ins in place; refuses a checkout before the indexer RoPE fix."""
    import torch
    path = os.path.join(official_dir, "inference", "model.py")
    if not os.path.isfile(path):
        raise Refused("%s: no inference/model.py (pass the checkout's root as --official)" % official_dir)
    with open(path, encoding="utf-8") as f:
        source = f.read()
    if "class Indexer" not in source or "def apply_rotary_emb" not in source:
        raise Refused("%s: not DeepSeek-V3.2's inference code (no Indexer or apply_rotary_emb)" % path)
    indexer_src = source.split("class Indexer", 1)[1].split("\nclass ", 1)[0]
    if not re.search(r"apply_rotary_emb\([^)]*,\s*False\)", indexer_src):
        raise Refused("%s: this checkout predates the 2025-11-17 \"fix indexer rope\" commit (8631a81): its indexer rotates"
                      " interleaved, which DeepSeek fixed; use a newer checkout" % path)
    if not hasattr(torch, "float8_e4m3fn"):
        torch.float8_e4m3fn = fp8_dtype
    kernel = types.ModuleType("kernel")
    kernel.act_quant, kernel.fp8_gemm, kernel.fp8_index = kernels.act_quant, kernels.fp8_gemm, kernels.fp8_index
    fht = types.ModuleType("fast_hadamard_transform")
    fht.hadamard_transform = lambda x, scale=1.0: hadamard(x, scale)
    saved = {n: sys.modules.get(n) for n in ("kernel", "fast_hadamard_transform")}
    sys.modules["kernel"], sys.modules["fast_hadamard_transform"] = kernel, fht
    sys.path.insert(0, os.path.dirname(path))
    try:
        import importlib.util
        spec = importlib.util.spec_from_file_location("deepseek_official_model", path)
        model = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(model)
    finally:
        sys.path.remove(os.path.dirname(path))
        for n, m in saved.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m
    dist = types.SimpleNamespace(is_initialized=lambda: False, get_world_size=lambda: 1, get_rank=lambda: 0,
                                 broadcast=lambda *a, **k: None, all_reduce=lambda *a, **k: None, all_gather=None)
    model.dist = dist
    model.rotate_activation = lambda x: hadamard(x, x.size(-1) ** -0.5)
    return model, source


def model_args(model, config):
    """The official ModelArgs of a Hugging Face config.json (batch 1; max_seq_len = max_position_embeddings)."""
    rs = config.get("rope_scaling") or {}
    q = config.get("quantization_config") or {}
    if config.get("scoring_func", "sigmoid") != "sigmoid" or config.get("topk_method", "noaux_tc") != "noaux_tc":
        raise Refused("config.json: scoring_func %r / topk_method %r: DeepSeek-V3.2 routes with sigmoid and noaux_tc"
                      % (config.get("scoring_func"), config.get("topk_method")))
    return model.ModelArgs(
        max_batch_size=1, max_seq_len=config["max_position_embeddings"], dtype="fp8",
        scale_fmt=q.get("scale_fmt"), vocab_size=config["vocab_size"], dim=config["hidden_size"],
        inter_dim=config["intermediate_size"], moe_inter_dim=config["moe_intermediate_size"],
        n_layers=config["num_hidden_layers"], n_dense_layers=config["first_k_dense_replace"],
        n_heads=config["num_attention_heads"], n_routed_experts=config["n_routed_experts"],
        n_shared_experts=config["n_shared_experts"], n_activated_experts=config["num_experts_per_tok"],
        n_expert_groups=config["n_group"], n_limited_groups=config["topk_group"], score_func="sigmoid",
        route_scale=config["routed_scaling_factor"], q_lora_rank=config["q_lora_rank"], kv_lora_rank=config["kv_lora_rank"],
        qk_nope_head_dim=config["qk_nope_head_dim"], qk_rope_head_dim=config["qk_rope_head_dim"],
        v_head_dim=config["v_head_dim"], original_seq_len=rs.get("original_max_position_embeddings", config["max_position_embeddings"]),
        rope_theta=config["rope_theta"], rope_factor=rs.get("factor", 1.0), beta_fast=rs.get("beta_fast", 32),
        beta_slow=rs.get("beta_slow", 1), mscale=rs.get("mscale", 1.0), index_n_heads=config["index_n_heads"],
        index_head_dim=config["index_head_dim"], index_topk=config["index_topk"])


# Hugging Face names -> the official module names (what inference/convert.py does, at world size 1).
_RENAMES = [
    ("self_attn.indexer.", "attn.indexer."), ("self_attn.q_a_proj", "attn.wq_a"), ("self_attn.q_a_layernorm", "attn.q_norm"),
    ("self_attn.q_b_proj", "attn.wq_b"), ("self_attn.kv_a_proj_with_mqa", "attn.wkv_a"),
    ("self_attn.kv_a_layernorm", "attn.kv_norm"), ("self_attn.kv_b_proj", "attn.wkv_b"), ("self_attn.o_proj", "attn.wo"),
    ("input_layernorm", "attn_norm"), ("post_attention_layernorm", "ffn_norm"),
    ("mlp.gate.e_score_correction_bias", "ffn.gate.bias"), ("mlp.gate.weight", "ffn.gate.weight"),
    ("mlp.shared_experts.", "ffn.shared_experts."), ("mlp.experts.", "ffn.experts."), ("mlp.", "ffn."),
    ("gate_proj", "w1"), ("up_proj", "w3"), ("down_proj", "w2"), ("weight_scale_inv", "scale"),
]


def official_name(hf):
    if hf == "model.embed_tokens.weight":
        return "embed.weight"
    if hf == "model.norm.weight":
        return "norm.weight"
    if hf == "lm_head.weight":
        return "head.weight"
    if not hf.startswith("model.layers."):
        return None
    name = hf[len("model."):]
    for a, b in _RENAMES:
        name = name.replace(a, b, 1)
    return name


def read_checkpoint(ckpt):
    import torch
    cfg_path = os.path.join(ckpt, "config.json")
    if not os.path.isfile(cfg_path):
        raise Refused("%s: no config.json (a Hugging Face checkpoint directory is expected)" % ckpt)
    with open(cfg_path, encoding="utf-8") as f:
        config = json.load(f)
    index = os.path.join(ckpt, "model.safetensors.index.json")
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = sorted(n for n in os.listdir(ckpt) if n.endswith(".safetensors"))
    if not files:
        raise Refused("%s: no .safetensors files" % ckpt)
    tensors = {}
    for fn in files:
        t, _ = read_safetensors(os.path.join(ckpt, fn))
        tensors.update(t)
    return config, tensors


def load_weights(model, transformer, config, tensors, fp8_dtype):
    """Loads every tensor of the main model into the official modules (MTP layer skipped), FP8 with their scales."""
    import torch
    n_layers = config["num_hidden_layers"]
    params = dict(transformer.named_parameters())
    modules = dict(transformer.named_modules())
    loaded = set()
    for hf, t in tensors.items():
        if hf.startswith("model.layers."):
            if int(hf.split(".")[2]) >= n_layers:
                continue                                   # the MTP layer: not part of the official logits run
        name = official_name(hf)
        if name is None:
            raise Refused("checkpoint tensor %s has no place in the official model" % hf)
        owner, _, leaf = name.rpartition(".")
        module = modules.get(owner)
        if module is None:
            raise Refused("checkpoint tensor %s -> %s: the official model has no module %s" % (hf, name, owner))
        if leaf == "scale":                              # a block scale: on the Linear and on its weight, as model.py keeps it
            p = torch.nn.Parameter(t.to(torch.float32), requires_grad=False)
            module.scale = p
            module.weight.scale = p
        elif owner.endswith("ffn.gate") and leaf == "bias":
            module.bias = torch.nn.Parameter(t.to(torch.float32), requires_grad=False)   # see the TRAP in the docstring
        else:
            target = params.get(name)
            if target is None:
                raise Refused("checkpoint tensor %s -> %s: the official model has no such parameter" % (hf, name))
            if tuple(target.shape) != tuple(t.shape):
                raise Refused("checkpoint tensor %s: shape %s, the official model expects %s" % (hf, list(t.shape), list(target.shape)))
            with torch.no_grad():
                target.copy_(t.to(target.dtype))
                if target.dtype == fp8_dtype and not torch.equal(target.to(torch.float64), t.to(torch.float64)):
                    raise Refused("checkpoint tensor %s: not exactly representable in %s" % (hf, fp8_dtype))
        loaded.add(name)
    missing = [n for n in params if n not in loaded and not n.endswith(".scale")]
    if missing:
        raise Refused("the checkpoint lacks %d parameters of the official model, e.g. %s" % (len(missing), missing[:3]))
    for n, m in modules.items():
        if isinstance(m, model.Linear) and m.weight.dtype == fp8_dtype and getattr(m.weight, "scale", None) is None:
            raise Refused("FP8 weight %s.weight has no weight_scale_inv in the checkpoint" % n)


# ---------------------------------------------------------------- the run

class Recorder:
    """Wraps each layer's indexer and gate (and blocks for hidden states) to record decisions in TRACE_FORMAT names."""

    def __init__(self, model, transformer, kernels, config, hidden):
        import torch
        self.torch = torch
        self.tensors = {}
        self.step = None
        self.hidden = hidden
        self.topk = config["index_topk"]
        for i, layer in enumerate(transformer.layers):
            self._wrap_indexer(i, layer.attn.indexer, kernels)
            if isinstance(layer.ffn, model.MoE):
                self._wrap_gate(i, layer.ffn.gate, model)
            if hidden:
                self._wrap_block(i, layer)
        if hidden:
            self._wrap_norm(transformer.norm)

    def _put(self, name, t):
        full = "%s.%s" % (self.step, name)
        if full in self.tensors:
            raise RuntimeError("trace: %s recorded twice" % full)
        self.tensors[full] = t

    def _wrap_indexer(self, i, indexer, kernels):
        torch, rec, original = self.torch, self, indexer.forward

        def forward(x, qr, start_pos, freqs_cis, mask):
            selected = original(x, qr, start_pos, freqs_cis, mask)
            score = kernels.last_index_score[0].to(torch.float64).clone()          # [T][end]
            t, end = score.shape
            pos = torch.arange(start_pos, start_pos + t).unsqueeze(1)
            score[torch.arange(end).unsqueeze(0) > pos] = float("-inf")           # keys a query cannot see
            rows = torch.full((t, rec.topk), -1, dtype=torch.int32)
            for r in range(t):
                keep = [int(s) for s in selected[0, r].tolist() if int(s) <= start_pos + r]  # drop masked future keys
                rows[r, :len(keep)] = torch.tensor(keep, dtype=torch.int32)
            rec._put("layer%d.indexer.selected" % i, rows)
            rec._put("layer%d.indexer.scores" % i, score)
            return selected
        indexer.forward = forward

    def _wrap_gate(self, i, gate, model):
        torch, rec, original = self.torch, self, gate.forward

        def forward(x):
            weights, indices = original(x)
            # The group decisions, recomputed with the same calls on the same input as Gate.forward makes them.
            s = model.linear(x.float(), gate.weight.float()).sigmoid() + gate.bias
            groups = s.view(x.size(0), gate.n_groups, -1)
            group_scores = groups.topk(2, dim=-1)[0].sum(dim=-1)
            kept = group_scores.topk(gate.topk_groups, dim=-1)[1]
            mask = s.new_ones(x.size(0), gate.n_groups, dtype=bool).scatter_(1, kept, False)
            sel = groups.masked_fill(mask.unsqueeze(-1), float("-inf")).flatten(1)
            if not torch.equal(sel.topk(gate.topk, dim=-1)[1], indices):
                raise RuntimeError("layer %d: the recomputed routing differs from Gate.forward's" % i)
            rec._put("layer%d.moe.selection_scores" % i, sel.to(torch.float64))
            rec._put("layer%d.moe.group_scores" % i, group_scores.to(torch.float64))
            rec._put("layer%d.moe.groups" % i, kept.to(torch.int32))
            rec._put("layer%d.moe.experts" % i, indices.to(torch.int32))
            rec._put("layer%d.moe.weights" % i, weights.to(torch.float64))
            return weights, indices
        gate.forward = forward

    def _wrap_block(self, i, block):
        torch, rec, original = self.torch, self, block.forward

        def forward(x, residual, start_pos, freqs_cis, mask):
            out, res = original(x, residual, start_pos, freqs_cis, mask)
            # model.py adds a block's FFN output to the residual inside the next norm: the stream leaving block i.
            rec._put("layer%d.hidden" % i, (out.float() + res.float())[0])   # the sum is fp32 there too
            return out, res
        block.forward = forward

    def _wrap_norm(self, norm):
        torch, rec, original = self.torch, self, norm.forward

        def forward(x, residual=None):
            out = original(x, residual)
            y = out[0] if isinstance(out, tuple) else out
            rec.tensors["%s.final_hidden" % rec.step] = y[0].to(torch.float32)
            return out
        norm.forward = forward


def read_script(path):
    try:
        with open(path, encoding="utf-8") as f:
            s = json.load(f)
    except FileNotFoundError:
        raise Refused("%s: script file not found" % path)
    except ValueError as e:
        raise Refused("%s: not valid JSON (%s)" % (path, e))
    if not isinstance(s, dict) or set(s) != {"sequences"} or not isinstance(s["sequences"], list) or not s["sequences"]:
        raise Refused("%s: expected {\"sequences\": [{\"prompt\": [ids], \"decode\": [ids]}, ...]}" % path)
    out = []
    for b, q in enumerate(s["sequences"]):
        if not isinstance(q, dict) or not set(q) <= {"prompt", "decode"} or not q.get("prompt"):
            raise Refused("%s: sequences[%d] must be {\"prompt\": [ids], \"decode\": [ids]} with a non-empty prompt" % (path, b))
        ids = q["prompt"] + q.get("decode", [])
        if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in ids):
            raise Refused("%s: sequences[%d] holds a token id that is not a non-negative integer" % (path, b))
        out.append((q["prompt"], q.get("decode", [])))
    return out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 16), b""):
            h.update(b)
    return h.hexdigest()


def provenance(official_dir, args, torch):
    try:
        commit = subprocess.run(["git", "-C", official_dir, "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {"official_commit": commit, "model_py_sha256": sha256_file(os.path.join(official_dir, "inference", "model.py")),
            "torch": torch.__version__, "python": platform.python_version(), "act_dtype": args.act_dtype,
            "command": "dsv32_official.py --mode %s --act-dtype %s" % (args.mode, args.act_dtype)}


def run(args):
    import torch
    if args.mode not in ("exact", "fp8"):
        raise Refused("--mode must be exact or fp8, got %r" % args.mode)
    if args.act_dtype not in ("float64", "float32"):
        raise Refused("--act-dtype must be float64 or float32, got %r" % args.act_dtype)
    if args.mode == "exact" and args.act_dtype != "float64":
        raise Refused("--mode exact computes in float64; --act-dtype float32 applies to --mode fp8")
    for p in (args.out, args.trace):
        if p and os.path.isdir(p):
            raise Refused("%s: is a directory, not an output file" % p)
    if not os.path.isdir(args.checkpoint):
        raise Refused("%s: checkpoint directory not found" % args.checkpoint)
    script = read_script(args.script)
    fp8_dtype = getattr(torch, "float8_e4m3fn", torch.float16)
    kernels = Kernels(args.mode, fp8_dtype)
    model, _ = load_official(args.official, kernels, fp8_dtype)
    config, tensors = read_checkpoint(args.checkpoint)
    torch.set_default_dtype(torch.float64 if args.act_dtype == "float64" else torch.float32)
    torch.manual_seed(0)
    margs = model_args(model, config)
    for prompt, decode in script:
        if len(prompt) + len(decode) > margs.max_seq_len:
            raise Refused("a sequence of %d positions is past max_position_embeddings %d (the official code's rotary table)"
                          % (len(prompt) + len(decode), margs.max_seq_len))
        if max(prompt + decode) >= config["vocab_size"]:
            raise Refused("a token id is >= vocab_size %d" % config["vocab_size"])
    transformer = model.Transformer(margs)
    transformer.eval()
    load_weights(model, transformer, config, tensors, fp8_dtype)
    if args.mode == "exact":
        # Exact mode has no rounding point: the indexer's k cache (an FP8 buffer in model.py) holds the keys as computed.
        for m in transformer.modules():
            if isinstance(m, model.Indexer):
                m.k_cache = torch.zeros(m.k_cache.shape, dtype=torch.float64)
    rec = Recorder(model, transformer, kernels, config, args.trace_hidden) if args.trace else None
    logits = {}
    for b, (prompt, decode) in enumerate(script):
        # A fresh cache per sequence, as `./dsv32 logits` runs them: zero every buffer (k caches, kv caches).
        for name, buf in transformer.named_buffers():
            if name.endswith("cache"):
                buf.zero_()
        for m in transformer.modules():
            if isinstance(m, model.MLA):
                m.dequant_wkv_b = None
        pos = 0
        for k, chunk in enumerate([prompt] + [[t] for t in decode]):
            if rec:
                rec.step = "seq%d.step%d" % (b, k)
            out = transformer(torch.tensor([chunk], dtype=torch.long), pos)
            logits["seq%d.step%d" % (b, k)] = out[0].to(torch.float32)
            pos += len(chunk)
        print("sequence %d: %d steps done" % (b, 1 + len(decode)), file=sys.stderr)
    prov = provenance(args.official, args, torch)
    meta = {"format": "dsv32-logits-v1", "backend": "deepseek-official", "precision": args.mode,
            "checkpoint": os.path.abspath(args.checkpoint)}
    meta.update(prov)
    write_safetensors(args.out, logits, meta)
    if rec:
        meta = dict(meta, format="dsv32-trace-v1")
        write_safetensors(args.trace, rec.tensors, meta)


def main(argv=None):
    p = argparse.ArgumentParser(description="DeepSeek's inference/model.py on the CPU, writing dsv32 logits and traces.")
    p.add_argument("--official", required=True, help="checkout root holding inference/model.py (at or after 8631a81)")
    p.add_argument("--checkpoint", required=True, help="Hugging Face checkpoint directory (./dsv32 tiny-checkpoint)")
    p.add_argument("--script", required=True, help="the logits script ({\"sequences\": [...]})")
    p.add_argument("--mode", required=True, help="exact or fp8")
    p.add_argument("--act-dtype", default="float64", help="fp8 mode: float64 (default) or float32 activations")
    p.add_argument("--out", required=True, help="logits file (seq{b}.step{k}, float32)")
    p.add_argument("--trace", help="decision trace file (spec/TRACE_FORMAT.md)")
    p.add_argument("--trace-hidden", action="store_true", help="also record the hidden state after each block and the final norm")
    args = p.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("dsv32_official: PyTorch is not installed for %s (apt-get install python3-torch python3-numpy)" % sys.executable,
              file=sys.stderr)
        return 2
    try:
        run(args)
    except Refused as e:
        print("dsv32_official: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

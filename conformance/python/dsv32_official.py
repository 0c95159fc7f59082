#!/usr/bin/env python3
"""Run DeepSeek's OFFICIAL DeepSeek-V3.2 inference code (``inference/model.py``) on the CPU and write its logits and
its decisions in this project's formats, so that ``./dsv32 parity`` can judge it step by step.

Usage::

    /usr/bin/python3 conformance/python/dsv32_official.py --official DIR --checkpoint CKPT --script S.json \\
        --mode exact|fp8 [--act-dtype float64|float32|bfloat16] --out LOGITS.safetensors [--trace TRACE.safetensors] \\
        [--export-golden-linear CASE.safetensors [--golden-weight HF_NAME]]
    /usr/bin/python3 conformance/python/dsv32_official.py --print-e4m3-table

``DIR`` is the root of a checkout of deepseek-ai/DeepSeek-V3.2-Exp (or a fork) holding ``inference/model.py``, at or
after the 2025-11-17 "fix indexer rope" commit (8631a81 in the awesome-mini-project fork). An older checkout is
refused (exit 2): its indexer rotates its RoPE dims interleaved; this is read from the code (the indexer's
``apply_rotary_emb`` calls must pass ``interleaved=False``), not from git. The kit never changes a file of the
checkout; it imports ``model.py`` from there and runs it unmodified except for the in-memory points listed below.

Outputs (spec/TRACE_FORMAT.md and ``./dsv32 logits``):

- LOGITS: one float32 [vocab] tensor per step, ``seq{b}.step0`` after the prompt (one prefill), ``seq{b}.step{k}``
  after decode token k (fed alone); each sequence in a fresh cache, batch 1. ``__metadata__``: ``format`` =
  ``dsv32-logits-v1``, ``backend`` = ``deepseek-official``, ``precision``, ``checkpoint`` and the provenance
  (``official_commit``, ``model_py_sha256``, ``torch_version``, ``python_version``, ``command``, ``mode``,
  ``act_dtype``).
- TRACE (``--trace``): ``dsv32-trace-v1``; per sequence, step and Hugging Face layer index, the indexer's selection
  exactly as the official ``torch.topk`` returned it (keys a query cannot see dropped, ``-1`` padding, NOT re-sorted,
  so its tie order shows) and the scores of every key; the MoE routing (selection scores, group scores, kept groups,
  experts, weights). Captured by wrapping ``Indexer.forward`` and ``Gate.forward`` of the model's instances.

Modes:

- ``exact``: float64 activations (torch's default dtype float64), no activation quantisation (the act_quant
  stand-in returns its input and unit scales), FP8 weights dequantised exactly (code x block scale, float64), the
  indexer's key cache holds values (the kit replaces the FP8 ``k_cache`` buffer by a float64 one in memory) — this
  project's ``--precision exact`` (spec/SEMANTICS.md §5).  What remains are the official code's OWN fp32 points
  (spec/SEMANTICS.md §10b): RMSNorm and its fused residual, LayerNorm, RoPE (complex64), the router, the indexer's
  ``weights_proj`` and its weight folding, the kv latent's ``.float()`` round trip, the MLP/expert silu product, the
  MoE accumulator, ``weight_dequant`` of the absorbed decode and the LM head. So "exact" agrees with the float64
  reference to calc_diff ~1e-13, not 1e-30.
- ``fp8``: the deployment rounding points: act_quant before every FP8 linear (e4m3, round to nearest even,
  saturating; amax floored at 1e-4, scale = fp32(amax) * fp32(1/448), with ue8m0 scales rounded UP to a power of
  two when the config's ``quantization_config.scale_fmt`` is set), the kv latent's FP8 round trip (model.py's own),
  the indexer's q and k as e4m3 codes with the FP8 key cache. Activations in ``--act-dtype`` float64 (default) or
  float32; the stand-in GEMMs compute in that dtype (float32 = the kernels' fp32 accumulation).
- ``fp8`` with ``--act-dtype bfloat16``: the deployment itself, this project's ``--precision bf16`` (spec/SEMANTICS.md
  §5c): torch's default dtype bfloat16, as model.py's own ``__main__`` sets it, so every tensor model.py creates
  without a dtype (activations, the kv and pe caches, the masks, the bf16 weights) is bf16 and every operation of
  model.py rounds where DeepSeek's code rounds. The stand-ins behave as the TileLang kernels do with bf16 activations:
  act_quant divides in fp32, fp8_gemm accumulates in fp32 and stores bf16, fp8_index returns fp32 scores, the Hadamard
  transform computes in fp32 and stores bf16 once. The logits file's ``precision`` is ``bf16``.

Stand-ins, written from spec/SEMANTICS.md and injected through ``sys.modules`` before model.py is executed:
``kernel`` (``act_quant``, ``fp8_gemm``, ``fp8_index`` — the TileLang kernels), ``fast_hadamard_transform``
(Sylvester-order Hadamard times ``scale``). ``einops`` is not imported by the fixed model.py. ``torch.distributed``:
model.py's module-global ``dist`` is replaced in memory by a world-size-1 stand-in whose ``broadcast`` (called by the
indexer) is a no-op; ``torch.distributed`` itself is not touched.

TRAPS handled knowingly (in memory, nothing on disk):

1. The official ``Gate`` creates its ``bias`` only when ``dim == 7168`` (the 671B model). Tiny checkpoints carry
   ``e_score_correction_bias``; without it the official gate would rank groups by their max score and ignore the
   bias. The kit gives every MoE gate a float32 ``bias`` parameter before loading, which the checkpoint fills.
2. model.py asserts bfloat16 activations in ``rotate_activation``: the kit compiles model.py with
   ``optimize=1`` (as ``python -O`` would), which drops ``assert`` statements and nothing else.
3. No MTP in a logits run: the official Transformer has none; tensors of layers >= ``num_hidden_layers`` are skipped
   (as convert.py skips layer 61).
4. The official Transformer returns only the last token's logits; our logits format is exactly that, one row per
   step.
5. YaRN: the official code applies it only when ``max_seq_len > original_seq_len``; Hugging Face and this project
   apply it always. The kit sets ``max_seq_len`` above ``original_max_position_embeddings`` when the config has YaRN.
6. PyTorch without a float8 dtype (1.13): the kit sets ``torch.float8_e4m3fn = torch.uint8`` in its own process
   (model.py compares weight dtypes with it), makes model construction's ``nn.Parameter`` accept integer codes
   (``requires_grad=False``) and keeps FP8 tensors as :class:`E4M3Codes`, a uint8 tensor whose ``float()`` and
   ``double()`` decode e4m3 (model.py calls ``.float()`` on FP8 tensors in the kv round trip and in
   ``weight_dequant``). On PyTorch 2.x the real ``torch.float8_e4m3fn`` is used and nothing of this applies.

7. bf16 times a Python scalar (``--act-dtype bfloat16``): PyTorch 1.13 on the CPU rounds the scalar to bf16 before it
   multiplies a bf16 tensor, while CUDA kernels (the deployment) keep it in fp32 (their "opmath" type); model.py's
   ``scores.mul_(self.softmax_scale)`` and ``(...) * self.softmax_scale`` would then scale every attention logit by a
   factor off by up to 2^-9. The kit replaces each MLA's ``softmax_scale`` float in memory by :class:`Fp32Scalar`,
   which multiplies in fp32 and stores in the tensor's dtype, as the GPU does. (Measured: 47% of bf16 products differ
   between the two ways.)

Config mapping (Hugging Face config.json -> official ``ModelArgs``): vocab_size -> vocab_size, hidden_size -> dim,
intermediate_size -> inter_dim, moe_intermediate_size -> moe_inter_dim, num_hidden_layers -> n_layers,
first_k_dense_replace -> n_dense_layers, num_attention_heads -> n_heads, n_routed_experts, n_shared_experts,
num_experts_per_tok -> n_activated_experts, n_group -> n_expert_groups, topk_group -> n_limited_groups,
scoring_func -> score_func, routed_scaling_factor -> route_scale, q_lora_rank, kv_lora_rank, qk_nope_head_dim,
qk_rope_head_dim, v_head_dim, rope_theta, rope_scaling.{original_max_position_embeddings -> original_seq_len,
factor -> rope_factor, beta_fast, beta_slow, mscale_all_dim -> mscale (the attention scale's YaRN factor, as
Hugging Face uses it)}, index_n_heads, index_head_dim, index_topk, quantization_config.scale_fmt -> scale_fmt
(absent: None = plain scales); dtype "fp8"; max_batch_size 1. model.py hard-codes 128x128 blocks and eps 1e-6: a
config with other ``weight_block_size`` or ``rms_norm_eps`` is refused.

Exit codes: 0 written; 2 bad input (one line on stderr: missing directory or file, an old checkout, a bad script or
config); anything else is a bug of the kit and shows its traceback.
"""

import argparse
import ast
import hashlib
import json
import math
import os
import shlex
import struct
import subprocess
import sys
import types

try:
    import torch
    from torch import nn
except ImportError:  # reported by main() as a one-line error
    torch = None
    nn = None

PROG = "dsv32_official"
BACKEND = "deepseek-official"
BLOCK = 128
#: The commit that fixed the indexer's RoPE layout (awesome-mini-project/DeepSeek-V3.2-Exp); older code is refused.
FIX_COMMIT = "8631a81 (2025-11-17, 'fix indexer rope')"


class KitError(Exception):
    """Bad input: reported as one line, exit 2."""


# ----------------------------------------------------------------------------------------------- safetensors


ST_DTYPES = {}  # safetensors dtype string -> torch dtype (F8_E4M3 -> uint8 codes)


def _init_dtypes():
    if torch is None or ST_DTYPES:
        return
    ST_DTYPES.update({
        "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
        "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
        "BOOL": torch.bool, "F8_E4M3": torch.uint8,
    })


def read_safetensors_header(path):
    """(header dict without __metadata__, metadata dict, data start offset) of a safetensors file."""
    try:
        with open(path, "rb") as f:
            raw = f.read(8)
            if len(raw) < 8:
                raise KitError("%s: not a safetensors file (shorter than its 8-byte header length)" % path)
            (n,) = struct.unpack("<Q", raw)
            size = os.path.getsize(path)
            if n > size - 8:
                raise KitError("%s: not a safetensors file (header length %d past the end of the file)" % (path, n))
            header = json.loads(f.read(n).decode("utf-8"))
    except OSError as e:
        raise KitError("%s: cannot read: %s" % (path, e.strerror or e))
    except (ValueError, UnicodeDecodeError) as e:
        raise KitError("%s: not a safetensors file (header is not JSON: %s)" % (path, e))
    meta = header.pop("__metadata__", {}) or {}
    return header, meta, 8 + n


def read_safetensors(path, names=None):
    """{name: (dtype string, tensor)} of a safetensors file (all tensors, or those in ``names``).

    F8_E4M3 tensors come back as uint8 codes; the caller decides their representation."""
    _init_dtypes()
    if sys.byteorder != "little":
        raise KitError("the kit reads safetensors (little-endian) on little-endian hosts only")
    header, _, start = read_safetensors_header(path)
    out = {}
    with open(path, "rb") as f:
        for name, info in header.items():
            if names is not None and name not in names:
                continue
            dt = info.get("dtype")
            if dt not in ST_DTYPES:
                raise KitError("%s: tensor '%s' has dtype %s, which the kit does not read" % (path, name, dt))
            shape = [int(d) for d in info["shape"]]
            a, b = info["data_offsets"]
            f.seek(start + a)
            data = f.read(b - a)
            if len(data) != b - a:
                raise KitError("%s: tensor '%s' is truncated" % (path, name))
            if b == a:
                t = torch.empty(shape, dtype=ST_DTYPES[dt])
            else:
                t = torch.frombuffer(bytearray(data), dtype=torch.uint8).view(ST_DTYPES[dt]).reshape(shape)
            out[name] = (dt, t)
    return out


def _st_dtype(t):
    if isinstance(t, E4M3Codes) or (FP8_NATIVE and t.dtype == FP8_DTYPE):
        return "F8_E4M3"
    for k, v in ST_DTYPES.items():
        if v == t.dtype and k != "F8_E4M3":
            return k
    raise ValueError("no safetensors dtype for %s" % t.dtype)


def tensor_bytes(t):
    """The raw little-endian bytes of a tensor (row-major)."""
    if isinstance(t, E4M3Codes) or (FP8_NATIVE and t.dtype == FP8_DTYPE):
        t = codes_of(t)
    t = t.detach().contiguous().reshape(-1)
    if t.numel() == 0:
        return b""
    return t.view(torch.uint8).numpy().tobytes()


def write_safetensors(path, tensors, metadata, dtypes=None):
    """Writes ``tensors`` ({name: tensor}, in this order) with string ``metadata``; ``dtypes`` overrides the
    safetensors dtype string of a tensor (e.g. uint8 codes as F8_E4M3)."""
    _init_dtypes()
    dtypes = dtypes or {}
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name, t in tensors.items():
        raw = tensor_bytes(t)
        header[name] = {"dtype": dtypes.get(name) or _st_dtype(t), "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def content_sha256(tensors, metadata, dtypes=None):
    """The golden-case seal of spec/GOLDEN_FORMAT.md §8 over {name: tensor} and string metadata."""
    dtypes = dtypes or {}

    def s(h, v):
        b = v.encode("utf-8")
        h.update(struct.pack("<Q", len(b)))
        h.update(b)

    h = hashlib.sha256()
    keys = sorted((k for k in metadata if k != "content_sha256"), key=lambda k: k.encode("utf-8"))
    h.update(struct.pack("<Q", len(keys)))
    for k in keys:
        s(h, k)
        s(h, metadata[k])
    names = sorted(tensors, key=lambda n: n.encode("utf-8"))
    h.update(struct.pack("<Q", len(names)))
    for n in names:
        t = tensors[n]
        raw = tensor_bytes(t)
        s(h, n)
        s(h, dtypes.get(n) or _st_dtype(t))
        h.update(struct.pack("<Q", t.dim()))
        for d in t.shape:
            h.update(struct.pack("<Q", d))
        h.update(struct.pack("<Q", len(raw)))
        h.update(raw)
    return h.hexdigest()


# ----------------------------------------------------------------------------------------------- e4m3


def e4m3_value(code):
    """The value of an E4M3FN code from the format's definition (1-4-3, bias 7, NaN only at S.1111.111)."""
    sign = -1.0 if code & 0x80 else 1.0
    exp, man = (code >> 3) & 0xF, code & 0x7
    if exp == 0xF and man == 0x7:
        return math.copysign(float("nan"), sign)
    if exp == 0:
        return sign * man * 2.0 ** -9
    return sign * (1.0 + man / 8.0) * 2.0 ** (exp - 7)


E4M3_VALUES = [e4m3_value(c) for c in range(256)]
E4M3_MAX = 448.0

FP8_NATIVE = torch is not None and hasattr(torch, "float8_e4m3fn")
if torch is not None and not FP8_NATIVE:
    # TRAP 6: model.py compares weight dtypes with torch.float8_e4m3fn; on PyTorch 1.13 the codes are uint8.
    torch.float8_e4m3fn = torch.uint8
FP8_DTYPE = torch.float8_e4m3fn if torch is not None else None
_TABLE = {}


def _table(dtype=None):
    if "t" not in _TABLE:
        _TABLE["t"] = torch.tensor(E4M3_VALUES, dtype=torch.float64)
        _TABLE["pos"] = _TABLE["t"][:127].clone()  # codes 0..126: 0 .. 448, strictly increasing
    t = _TABLE["t"]
    return t if dtype is None or dtype == torch.float64 else t.to(dtype)


if torch is not None:
    class E4M3Codes(torch.Tensor):
        """uint8 e4m3 codes that decode on ``float()``/``double()``/``to(float dtype)`` — a float8 tensor for
        PyTorch versions without one. Views and copies stay E4M3Codes (torch's default ``__torch_function__``)."""

        @staticmethod
        def __new__(cls, codes):
            return torch.Tensor._make_subclass(cls, codes, False)

        def _values(self, dtype):
            return _table(dtype)[codes_of(self).long()]

        def float(self, *a, **k):
            return self._values(torch.float32)

        def double(self, *a, **k):
            return self._values(torch.float64)

        def to(self, *args, **kwargs):
            dtype = kwargs.get("dtype", args[0] if args and isinstance(args[0], torch.dtype) else None)
            if dtype is not None and dtype.is_floating_point:
                return self._values(dtype)
            return super().to(*args, **kwargs)
else:
    class E4M3Codes(object):  # placeholder so isinstance() works without torch
        pass


def codes_of(t):
    """The uint8 codes of an FP8 tensor (native float8, E4M3Codes or uint8), as a plain tensor."""
    if FP8_NATIVE and t.dtype == FP8_DTYPE:
        return t.view(torch.uint8)
    if isinstance(t, E4M3Codes):
        # a plain alias: a same-dtype view() may hand back the E4M3Codes object itself (e.g. in inference mode)
        with torch._C.DisableTorchFunction():
            return torch.Tensor.as_subclass(t, torch.Tensor)
    return t


def as_fp8(codes):
    """uint8 codes in this PyTorch's FP8 representation (float8_e4m3fn, or E4M3Codes on 1.13)."""
    return codes.view(FP8_DTYPE) if FP8_NATIVE else E4M3Codes(codes)


def is_fp8(t):
    return isinstance(t, E4M3Codes) or t.dtype == FP8_DTYPE


def e4m3_decode(t, dtype=None):
    """Values of FP8 codes (exact in float32 and float64)."""
    return _table(dtype)[codes_of(t).long()]


def e4m3_encode(v):
    """uint8 E4M3FN codes of ``v`` (any float dtype): clamp to [-448, 448], round to nearest, ties to even;
    the sign of zero kept; NaN -> S.1111.111."""
    _table()
    v = v.to(torch.float64)
    nan = torch.isnan(v)
    neg = torch.signbit(v)
    a = torch.where(nan, torch.zeros_like(v), v.abs()).clamp(max=E4M3_MAX)
    _, exp = torch.frexp(a)  # a = m * 2^exp, m in [0.5, 1): the binade of a is 2^(exp-1)
    e = torch.clamp(exp.to(torch.int64) - 1, min=-6)  # below 2^-6 the subnormal grid 2^-9
    quantum = torch.pow(torch.full_like(a, 2.0), (e - 3).to(torch.float64))
    r = torch.round(a / quantum) * quantum  # division by a power of two is exact; round() is half-to-even
    codes = torch.searchsorted(_TABLE["pos"], r.contiguous())
    codes = torch.where(nan, torch.full_like(codes, 0x7F), codes)
    codes = codes + neg.to(torch.int64) * 0x80
    return codes.to(torch.uint8)


def ue8m0_round_up(s):
    """fp32 scales rounded UP to a power of two from their bits (a power of two stays; subnormals -> 2^-126)."""
    bits = s.to(torch.float32).contiguous().view(torch.int32)
    exp = (bits >> 23) & 0xFF
    man = bits & 0x7FFFFF
    exp = exp + (man != 0).to(torch.int32)
    exp = torch.where(exp == 0, torch.ones_like(exp), exp)
    return (exp << 23).view(torch.float32)


# ----------------------------------------------------------------------------------------------- stand-ins


class KernelState(object):
    """What the stand-in kernels need from the run: the mode, the last indexer score for the trace, and where to put
    act_quant's rounding decisions near a midpoint (the trace, the layer being run)."""
    mode = "exact"
    last_index_score = None
    trace = None
    layer = None


# An element of x / s this close (relative) to an e4m3 rounding midpoint is a rounding DECISION: an fp32 rounding
# upstream (the official RMSNorm, RoPE) moves it across (spec/SEMANTICS.md 10b). 2^-16 is ~100x the relative error of
# those fp32 steps; spec/TRACE_FORMAT.md.
MIDPOINT_REL = 2.0 ** -16


def near_midpoints(v, codes):
    """(flat index, x/s, chosen value) of the elements of ``v`` (= x / s) within MIDPOINT_REL of a rounding midpoint."""
    q = e4m3_decode(codes, torch.float64)
    a = v.to(torch.float64).abs()
    _, exp = torch.frexp(a.clamp(max=E4M3_MAX))
    e = torch.clamp(exp.to(torch.int64) - 1, min=-6)
    half = torch.pow(torch.full_like(a, 2.0), (e - 4).to(torch.float64))      # half the spacing of v's binade
    dist = ((v.to(torch.float64) - q).abs() - half).abs()
    near = (dist <= MIDPOINT_REL * a) & (a < E4M3_MAX) & (a > 0)
    idx = near.flatten().nonzero().flatten()
    return idx, v.to(torch.float64).flatten()[idx], q.flatten()[idx]


STATE = KernelState()


def act_quant(x, block_size=128, scale_fmt=None):
    """Stand-in for kernel.act_quant. fp8 mode: per row and 128-column tile, amax (NaN propagates) floored at 1e-4,
    s = fp32(amax) * fp32(1/448) in fp32, rounded up to a power of two when ``scale_fmt`` is not None (the kernel's
    ``round_scale``), codes = e4m3(x / s) with x / s in x's dtype. Exact mode: x unchanged, unit scales."""
    n = x.size(-1)
    if n % block_size:
        raise ValueError("act_quant: last dimension %d is not a multiple of %d" % (n, block_size))
    tiles = n // block_size
    if STATE.mode == "exact":
        return x, torch.ones(*x.shape[:-1], tiles, dtype=torch.float32)
    xt = x.contiguous().view(-1, tiles, block_size)
    amax = xt.abs().amax(dim=-1).to(torch.float64).clamp(min=1e-4)
    s = amax.to(torch.float32) * torch.tensor(1.0 / E4M3_MAX, dtype=torch.float32)
    if scale_fmt is not None:
        s = ue8m0_round_up(s)
    if x.dtype == torch.bfloat16:
        v = xt.float() / s.unsqueeze(-1)  # the kernel: bf16 loaded, divided by the fp32 scale in fp32
    else:
        v = xt / s.to(x.dtype).unsqueeze(-1)
    codes = e4m3_encode(v)
    if STATE.trace is not None and STATE.layer is not None:
        idx, vals, chosen = near_midpoints(v, codes)
        if idx.numel():
            STATE.trace.act_quant(STATE.layer, n, idx % n, vals, chosen)
    return as_fp8(codes.view(x.shape)), s.view(*x.shape[:-1], tiles)


def fp8_gemm(a, a_s, b, b_s):
    """Stand-in for kernel.fp8_gemm: y = a W^T with W[n][k] = e4m3(b[n][k]) * b_s[n/128][k/128], output in torch's
    default dtype. With FP8 activations (fp8 mode): per 128-wide k block, (sum of code products) * a_s * b_s, added
    block by block (in float32: the scales multiplied first and the partial sums in fp32, as the kernel). With
    unquantised activations (exact mode): the float64 product with the exactly dequantised weight. With bf16 as the
    default dtype: computed as with float32 and stored bf16 (the kernel's fp32 accumulator, bf16 output)."""
    out = torch.get_default_dtype()
    if out == torch.bfloat16:
        return _with_default(torch.float32, lambda: fp8_gemm(a, a_s, b, b_s)).to(torch.bfloat16)
    dt = out
    k = a.size(-1)
    m = a.numel() // k
    n = b.size(0)
    blocks = (k + BLOCK - 1) // BLOCK
    w = e4m3_decode(b, dt)
    ws = b_s.to(torch.float32).repeat_interleave(BLOCK, dim=0)[:n]  # [N][blocks]
    if not is_fp8(a):
        wd = (w.to(torch.float64) * ws.to(torch.float64).repeat_interleave(BLOCK, dim=1)[:, :k]).to(dt)
        return (a.reshape(m, k).to(dt) @ wd.t()).view(*a.shape[:-1], n)
    av = e4m3_decode(a, dt).reshape(m, k)
    sa = a_s.reshape(m, blocks).to(torch.float32)
    y = torch.zeros(m, n, dtype=dt)
    for blk in range(blocks):
        lo, hi = blk * BLOCK, min((blk + 1) * BLOCK, k)
        part = av[:, lo:hi] @ w[:, lo:hi].t()
        if dt == torch.float32:
            scale = sa[:, blk:blk + 1] * ws[:, blk].unsqueeze(0)
        else:
            scale = sa[:, blk:blk + 1].to(dt) * ws[:, blk].unsqueeze(0).to(dt)
        y += part * scale
    return y.view(*a.shape[:-1], n)


def fp8_index(q, q_s, k, k_s):
    """Stand-in for kernel.fp8_index: score[b][m][n] = sum_h ReLU(q[b,m,h] . k[b,n]) * q_s[b,m,h], times k_s[b,n],
    in torch's default dtype (q and k as e4m3 codes in fp8 mode, values in exact mode). The result is also kept
    for the trace (before model.py adds its causal mask in place)."""
    dt = torch.get_default_dtype()
    if dt == torch.bfloat16:
        dt = torch.float32  # the kernel's fp32 logits and scores
    qv = e4m3_decode(q, dt) if is_fp8(q) else q.to(dt)
    kv = e4m3_decode(k, dt) if is_fp8(k) else k.to(dt)
    bsz, m, h, _ = qv.shape
    n = kv.size(1)
    logits = torch.einsum("bmhd,bnd->bmnh", qv, kv).clamp(min=0)
    logits = logits * q_s.reshape(bsz, m, 1, h).to(dt)
    score = logits.sum(dim=-1) * k_s.reshape(bsz, 1, n).to(dt)
    STATE.last_index_score = score.detach().clone()
    return score


_HADAMARD = {}


def hadamard_transform(x, scale=1.0):
    """Stand-in for fast_hadamard_transform.hadamard_transform: x H_n * scale over the last dim, H_n in Sylvester
    order (H[i][j] = (-1)^popcount(i & j)), in x's dtype."""
    n = x.size(-1)
    if n & (n - 1):
        raise ValueError("hadamard_transform: %d is not a power of two" % n)
    if x.dtype == torch.bfloat16:  # the kernel: fp32 inside, the scaled result stored bf16 once
        return hadamard_transform(x.float(), scale).to(torch.bfloat16)
    key = (n, x.dtype)
    if key not in _HADAMARD:
        h = torch.ones(1, 1, dtype=torch.float64)
        while h.size(0) < n:
            h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
        _HADAMARD[key] = h.to(x.dtype)
    return (x @ _HADAMARD[key]) * scale


def _with_default(dtype, fn):
    """fn() with torch's default dtype set to ``dtype`` for its duration."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        return fn()
    finally:
        torch.set_default_dtype(old)


class Fp32Scalar(object):
    """A Python float that multiplies a tensor as CUDA kernels do (TRAP 7): in fp32, the result in the tensor's dtype."""

    def __init__(self, value):
        self.value = float(value)

    def __float__(self):
        return self.value

    def __mul__(self, other):
        return Fp32Scalar(self.value * float(other)) if not isinstance(other, torch.Tensor) else _scalar_mul(other, self.value)

    __rmul__ = __mul__

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        names = {"mul", "__mul__", "__rmul__", "mul_", "__imul__"}
        name = getattr(func, "__name__", "")
        if name in names and len(args) == 2 and not kwargs:
            t, v = (args[0], args[1]) if isinstance(args[0], torch.Tensor) else (args[1], args[0])
            out = _scalar_mul(t, float(v))
            if name in ("mul_", "__imul__"):
                with torch._C.DisableTorchFunction():
                    return t.copy_(out)
            return out
        return NotImplemented


def _scalar_mul(t, v):
    """t * v computed in fp32 (or t's dtype when wider) and returned in t's dtype."""
    with torch._C.DisableTorchFunction():
        if t.dtype in (torch.bfloat16, torch.float16):
            return (t.float() * v).to(t.dtype)
        return t * v


def _no_collectives(*args, **kwargs):
    raise RuntimeError("the kit runs DeepSeek's code with world size 1: no collective may be called")


def stand_in_modules():
    """{module name: module} injected into sys.modules before model.py runs."""
    kernel = types.ModuleType("kernel")
    kernel.__doc__ = "dsv32 kit stand-ins for DeepSeek's TileLang kernels (CPU, pure PyTorch)"
    kernel.act_quant, kernel.fp8_gemm, kernel.fp8_index = act_quant, fp8_gemm, fp8_index
    fht = types.ModuleType("fast_hadamard_transform")
    fht.hadamard_transform = hadamard_transform
    return {"kernel": kernel, "fast_hadamard_transform": fht}


def dist_stand_in():
    """World size 1: not initialised, rank 0; the indexer's broadcast is a no-op; other collectives refuse."""
    return types.SimpleNamespace(is_initialized=lambda: False, get_world_size=lambda *a, **k: 1,
                                 get_rank=lambda *a, **k: 0, broadcast=lambda *a, **k: None,
                                 all_reduce=_no_collectives, all_gather=_no_collectives)


# ----------------------------------------------------------------------------------------------- the official code


def check_checkout(official):
    """Path of inference/model.py after checking the checkout is the fixed one; KitError otherwise."""
    if not os.path.isdir(official):
        raise KitError("--official %s: no such directory (the root of a DeepSeek-V3.2-Exp checkout)" % official)
    path = os.path.join(official, "inference", "model.py")
    if not os.path.isfile(path):
        raise KitError("--official %s: no inference/model.py (give the checkout's root directory)" % official)
    with open(path, "rb") as f:
        source = f.read()
    refuse_old_indexer_rope(source, path)
    return path, source


def refuse_old_indexer_rope(source, path):
    """Refuses model.py whose Indexer rotates interleaved: every ``apply_rotary_emb`` call in ``Indexer.forward`` must
    pass interleaved=False (3rd argument or keyword), as since the 2025-11-17 fix."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as e:
        raise KitError("%s: not Python (%s, line %s)" % (path, e.msg, e.lineno))
    indexer = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Indexer"), None)
    forward = None if indexer is None else next(
        (n for n in indexer.body if isinstance(n, ast.FunctionDef) and n.name == "forward"), None)
    if forward is None:
        raise KitError("%s: no Indexer.forward — not DeepSeek-V3.2's inference code" % path)
    calls = [c for c in ast.walk(forward) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
             and c.func.id == "apply_rotary_emb"]

    def non_interleaved(c):
        arg = c.args[2] if len(c.args) >= 3 else next((k.value for k in c.keywords if k.arg == "interleaved"), None)
        return isinstance(arg, ast.Constant) and arg.value is False

    if not calls or not all(non_interleaved(c) for c in calls):
        raise KitError("%s: this checkout predates the indexer RoPE fix %s: its Indexer rotates interleaved; "
                       "check out that commit or a later one" % (path, FIX_COMMIT))


def load_official(path, source):
    """Executes model.py (asserts compiled out, TRAP 2) with the stand-ins in sys.modules; returns the module."""
    for name, mod in stand_in_modules().items():
        sys.modules[name] = mod
    module = types.ModuleType("deepseek_official_model")
    module.__file__ = path
    sys.modules[module.__name__] = module
    code = compile(source, path, "exec", dont_inherit=True, optimize=1)
    exec(code, module.__dict__)
    module.dist = dist_stand_in()
    return module


def official_commit(official):
    """HEAD of the checkout (with '+modified' when inference/ has local changes), or 'unknown'."""
    try:
        out = subprocess.run(["git", "-C", official, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            return "unknown"
        commit = out.stdout.strip()
        top = subprocess.run(["git", "-C", official, "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=30)
        if top.returncode != 0 or os.path.realpath(top.stdout.strip()) != os.path.realpath(official):
            return "unknown"
        dirty = subprocess.run(["git", "-C", official, "status", "--porcelain", "--", "inference"],
                               capture_output=True, text=True, timeout=30)
        return commit + ("+modified" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# ----------------------------------------------------------------------------------------------- checkpoint


def read_config(ckpt):
    path = os.path.join(ckpt, "config.json")
    if not os.path.isdir(ckpt):
        raise KitError("--checkpoint %s: no such directory" % ckpt)
    if not os.path.isfile(path):
        raise KitError("--checkpoint %s: no config.json" % ckpt)
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
        return json.loads(text), text
    except ValueError as e:
        raise KitError("%s: not valid JSON: %s" % (path, e))


def model_args(module, cfg, config_path, positions):
    """The official ModelArgs of a Hugging Face config (mapping in the module docstring)."""
    def need(key, where=None):
        src = cfg if where is None else (cfg.get(where) or {})
        if key not in src:
            raise KitError("%s: no '%s'%s" % (config_path, key, "" if where is None else " in " + where))
        return src[key]

    q = cfg.get("quantization_config")
    if not q or q.get("fmt", "e4m3") != "e4m3":
        raise KitError("%s: the kit runs FP8 (e4m3) checkpoints; quantization_config is %s" % (config_path, q))
    if list(q.get("weight_block_size", [128, 128])) != [128, 128]:
        raise KitError("%s: weight_block_size %s, but DeepSeek's model.py hard-codes 128x128 blocks"
                       % (config_path, q.get("weight_block_size")))
    if float(cfg.get("rms_norm_eps", 1e-6)) != 1e-6:
        raise KitError("%s: rms_norm_eps %s, but DeepSeek's model.py hard-codes 1e-6" % (config_path, cfg["rms_norm_eps"]))
    rs = cfg.get("rope_scaling") or {}
    yarn = rs.get("type", rs.get("rope_type")) == "yarn" and float(rs.get("factor", 1)) > 1
    original = int(rs.get("original_max_position_embeddings", cfg.get("max_position_embeddings", 4096)))
    max_seq_len = max(positions, original + 1 if yarn else 1)
    kw = dict(
        max_batch_size=1, max_seq_len=max_seq_len, dtype="fp8", scale_fmt=q.get("scale_fmt"),
        vocab_size=need("vocab_size"), dim=need("hidden_size"), inter_dim=need("intermediate_size"),
        moe_inter_dim=need("moe_intermediate_size"), n_layers=need("num_hidden_layers"),
        n_dense_layers=need("first_k_dense_replace"), n_heads=need("num_attention_heads"),
        n_routed_experts=need("n_routed_experts"), n_shared_experts=need("n_shared_experts"),
        n_activated_experts=need("num_experts_per_tok"), n_expert_groups=need("n_group"),
        n_limited_groups=need("topk_group"), score_func=cfg.get("scoring_func", "sigmoid"),
        route_scale=float(cfg.get("routed_scaling_factor", 1.0)), q_lora_rank=need("q_lora_rank"),
        kv_lora_rank=need("kv_lora_rank"), qk_nope_head_dim=need("qk_nope_head_dim"),
        qk_rope_head_dim=need("qk_rope_head_dim"), v_head_dim=need("v_head_dim"),
        original_seq_len=original, rope_theta=float(cfg.get("rope_theta", 10000.0)),
        rope_factor=float(rs.get("factor", 1.0)) if yarn else 1.0, beta_fast=rs.get("beta_fast", 32),
        beta_slow=rs.get("beta_slow", 1), mscale=float(rs.get("mscale_all_dim", 0.0)) if yarn else 1.0,
        index_n_heads=need("index_n_heads"), index_head_dim=need("index_head_dim"), index_topk=need("index_topk"))
    if not yarn:
        kw["max_seq_len"] = max(positions, 1)
        kw["original_seq_len"] = max(original, kw["max_seq_len"])  # never > original: no YaRN, as configured
    return module.ModelArgs(**kw)


#: Hugging Face module names -> official (convert.py's mapping, as in spec/GOLDEN_FORMAT.md §10).
RENAME = {
    "embed_tokens": "embed", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
    "q_proj": "wq", "q_a_proj": "wq_a", "q_a_layernorm": "q_norm", "q_b_proj": "wq_b",
    "kv_a_proj_with_mqa": "wkv_a", "kv_a_layernorm": "kv_norm", "kv_b_proj": "wkv_b", "o_proj": "wo",
    "gate": "gate", "gate_proj": "w1", "down_proj": "w2", "up_proj": "w3", "norm": "norm", "lm_head": "head",
    "scale": "scale", "wq_b": "wq_b", "wk": "wk", "k_norm": "k_norm", "weights_proj": "weights_proj",
}


def official_name(hf):
    """The official parameter name of a Hugging Face tensor name (convert.py's renaming)."""
    name = hf[len("model."):] if hf.startswith("model.") else hf
    name = name.replace("self_attn", "attn").replace("mlp", "ffn")
    name = name.replace("weight_scale_inv", "scale").replace("e_score_correction_bias", "bias")
    parts = name.split(".")
    key = parts[-2]
    if key not in RENAME:
        raise KitError("tensor '%s': module '%s' is not in convert.py's mapping" % (hf, key))
    parts[-2] = RENAME[key]
    return ".".join(parts)


def checkpoint_files(ckpt):
    index = os.path.join(ckpt, "model.safetensors.index.json")
    if os.path.isfile(index):
        try:
            with open(index, "r", encoding="utf-8") as f:
                weight_map = json.load(f)["weight_map"]
        except (ValueError, KeyError) as e:
            raise KitError("%s: not a safetensors index (%s)" % (index, e))
        files = sorted(set(weight_map.values()))
    else:
        files = sorted(f for f in os.listdir(ckpt) if f.endswith(".safetensors"))
    if not files:
        raise KitError("--checkpoint %s: no safetensors files" % ckpt)
    for f in files:
        if not os.path.isfile(os.path.join(ckpt, f)):
            raise KitError("%s: missing shard %s" % (ckpt, f))
    return [os.path.join(ckpt, f) for f in files]


def load_state_dict(ckpt, n_layers):
    """{official name: tensor} of the checkpoint, FP8 codes in this PyTorch's representation; the MTP layers
    (index >= n_layers) skipped. Also {HF name: (dtype, tensor)} of the FP8 weights and scales (for the golden export)."""
    state, raw = {}, {}
    for path in checkpoint_files(ckpt):
        for name, (dt, t) in read_safetensors(path).items():
            parts = name.split(".")
            if len(parts) > 2 and parts[0] == "model" and parts[1] == "layers" and int(parts[2]) >= n_layers:
                continue  # TRAP 3: the MTP layer
            raw[name] = (dt, t)
            state[official_name(name)] = as_fp8(t) if dt == "F8_E4M3" else t
    return state, raw


def _param_factory(original):
    """nn.Parameter during model construction: no gradients (inference), FP8 codes as E4M3Codes (TRAP 6)."""
    def make(data=None, requires_grad=True):
        if data is not None and not FP8_NATIVE and data.dtype == torch.uint8:
            data = E4M3Codes(data)
        return original(data, requires_grad=False)
    return make


def build_model(module, args, state, mode):
    """The official Transformer (world size 1) with the checkpoint loaded, the gates' bias set (TRAP 1) and, in
    exact mode, value (not FP8) indexer key caches."""
    original = torch.nn.Parameter
    torch.nn.Parameter = _param_factory(original)
    try:
        model = module.Transformer(args)
        for layer in model.layers:
            gate = getattr(layer.ffn, "gate", None)
            if gate is not None and gate.bias is None and any(k.endswith(".bias") and ".ffn.gate." in k for k in state):
                gate.bias = torch.nn.Parameter(torch.zeros(args.n_routed_experts, dtype=torch.float32))
    finally:
        torch.nn.Parameter = original
    if mode == "exact":
        for layer in model.layers:
            ix = layer.attn.indexer
            ix.k_cache = torch.zeros(ix.k_cache.shape, dtype=torch.get_default_dtype())
    if torch.get_default_dtype() == torch.bfloat16:
        for layer in model.layers:
            layer.attn.softmax_scale = Fp32Scalar(layer.attn.softmax_scale)  # TRAP 7
    expected = set(model.state_dict().keys())
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unexpected:
        raise KitError("checkpoint does not fit DeepSeek's Transformer for this config: missing %s; unexpected %s"
                       % (missing[:5], unexpected[:5]))
    with torch.no_grad():
        for name, p in model.state_dict(keep_vars=True).items():
            src = state[name]
            if tuple(src.shape) != tuple(p.shape):
                raise KitError("tensor '%s': shape %s in the checkpoint, %s in DeepSeek's model" % (name, list(src.shape), list(p.shape)))
            if is_fp8(p):
                codes_of(p).copy_(codes_of(src))
            else:
                p.copy_(src.to(p.dtype))
    model.eval()
    return model


# ----------------------------------------------------------------------------------------------- trace


class Trace(object):
    """Collects the decisions of every step into spec/TRACE_FORMAT.md tensors."""

    def __init__(self, topk):
        self.topk = topk
        self.prefix = None
        self.tensors = {}

    def at(self, seq, step):
        self.prefix = "seq%d.step%d" % (seq, step)

    def indexer(self, layer, start_pos, raw_scores, topk_indices):
        t = raw_scores.size(1)
        scores = raw_scores[0].to(torch.float64).clone()
        sel = torch.full((t, self.topk), -1, dtype=torch.int32)
        for r in range(t):
            p = start_pos + r
            scores[r, p + 1:] = float("-inf")
            keep = [int(s) for s in topk_indices[0, r].tolist() if s <= p]  # the official order, not re-sorted
            sel[r, :len(keep)] = torch.tensor(keep, dtype=torch.int32)
        base = "%s.layer%d.indexer." % (self.prefix, layer)
        self.tensors[base + "selected"] = sel
        self.tensors[base + "scores"] = scores

    def act_quant(self, layer, k, columns, values, chosen):
        """act_quant rounding decisions near a midpoint: rows (K, column, x/s, chosen e4m3 value), appended per layer."""
        rows = torch.stack([torch.full_like(values, float(k)), columns.to(torch.float64), values, chosen], dim=1)
        name = "%s.layer%d.act_quant.near_midpoint" % (self.prefix, layer)
        self.tensors[name] = torch.cat([self.tensors[name], rows]) if name in self.tensors else rows

    def hidden(self, layer, h):
        self.tensors["%s.layer%d.hidden" % (self.prefix, layer)] = h[0].to(torch.float32).contiguous()

    def final_hidden(self, h):
        self.tensors["%s.final_hidden" % self.prefix] = h[0].to(torch.float32).contiguous()

    def moe(self, layer, selection, group_scores, groups, experts, weights):
        base = "%s.layer%d.moe." % (self.prefix, layer)
        self.tensors[base + "selection_scores"] = selection.to(torch.float64)
        self.tensors[base + "group_scores"] = group_scores.to(torch.float64)
        self.tensors[base + "groups"] = groups.to(torch.int32)
        self.tensors[base + "experts"] = experts.to(torch.int32)
        self.tensors[base + "weights"] = weights.to(torch.float64)


def gate_decisions(module, gate, x):
    """The official Gate's intermediate values, recomputed with its own operations on the same input (CPU topk is
    deterministic): selection scores (-inf in dropped groups), group scores, kept groups (topk order)."""
    scores = module.linear(x.float(), gate.weight.float())
    scores = scores.softmax(dim=-1) if gate.score_func == "softmax" else scores.sigmoid()
    if gate.bias is not None:
        scores = scores + gate.bias
    tokens = x.size(0)
    grouped = scores.view(tokens, gate.n_groups, -1)
    if gate.bias is None:
        group_scores = grouped.amax(dim=-1)
    else:
        group_scores = grouped.topk(2, dim=-1)[0].sum(dim=-1)
    if gate.n_groups > 1:
        groups = group_scores.topk(gate.topk_groups, dim=-1)[1]
        mask = scores.new_ones(tokens, gate.n_groups, dtype=torch.bool).scatter_(1, groups, False)
        scores = grouped.masked_fill(mask.unsqueeze(-1), float("-inf")).flatten(1)
    else:
        groups = torch.zeros(tokens, 1, dtype=torch.int64)
    return scores, group_scores, groups


def instrument(module, model, trace, hidden=False):
    """Wraps the instances' Indexer.forward and Gate.forward in memory to record their decisions; Block.forward to
    know the layer act_quant runs in (and, with ``hidden``, the residual stream leaving each block); the final norm."""
    STATE.trace = trace
    for i, layer in enumerate(model.layers):
        def block_forward(x, residual, start_pos, freqs_cis, mask, _orig=layer.forward, _layer=i):
            STATE.layer = _layer
            try:
                out, res = _orig(x, residual, start_pos, freqs_cis, mask)
            finally:
                STATE.layer = None
            if trace is not None and hidden:
                # model.py adds a block's FFN output to the residual inside the next norm, in fp32: that sum is the
                # stream leaving block i.
                trace.hidden(_layer, out.float() + res.float())
            return out, res

        layer.forward = block_forward
        ix = layer.attn.indexer

        def indexer_forward(x, qr, start_pos, freqs_cis, mask, _orig=ix.forward, _layer=i):
            STATE.last_index_score = None
            topk = _orig(x, qr, start_pos, freqs_cis, mask)
            if trace is not None:
                trace.indexer(_layer, start_pos, STATE.last_index_score, topk)
            return topk

        ix.forward = indexer_forward
        gate = getattr(layer.ffn, "gate", None)
        if gate is None or trace is None:
            continue

        def gate_forward(x, _orig=gate.forward, _gate=gate, _layer=i):
            weights, indices = _orig(x)
            selection, group_scores, groups = gate_decisions(module, _gate, x)
            if not torch.equal(selection.topk(_gate.topk, dim=-1)[1], indices):
                raise RuntimeError("kit bug: layer %d: the recomputed routing differs from the official gate's" % _layer)
            trace.moe(_layer, selection, group_scores, groups, indices, weights)
            return weights, indices

        gate.forward = gate_forward
    if trace is not None and hidden:
        def norm_forward(x, residual=None, _orig=model.norm.forward):
            out = _orig(x, residual)
            trace.final_hidden(out[0] if isinstance(out, tuple) else out)
            return out

        model.norm.forward = norm_forward


# ----------------------------------------------------------------------------------------------- script


def read_script(path):
    """[(prompt, decode)] of a logits script, read as strictly as ./dsv32 logits reads it."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise KitError("--script %s: %s" % (path, e.strerror or e))

    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        dup = next((k for k in keys if keys.count(k) > 1), None)
        if dup is not None:
            raise KitError("%s: key \"%s\" given twice" % (path, dup))
        return dict(pairs)

    try:
        root = json.loads(text, object_pairs_hook=no_dupes)
    except ValueError as e:
        raise KitError("%s: not valid JSON: %s" % (path, e))
    if not isinstance(root, dict) or not isinstance(root.get("sequences"), list):
        raise KitError("%s: expected an object with a \"sequences\" array" % path)
    extra = set(root) - {"sequences"}
    if extra:
        raise KitError("%s: unknown key \"%s\" at the top level (known keys: sequences)" % (path, sorted(extra)[0]))
    out = []
    for b, s in enumerate(root["sequences"]):
        at = "sequences[%d]" % b
        if not isinstance(s, dict):
            raise KitError("%s: %s must be an object {\"prompt\": [ids], \"decode\": [ids]}" % (path, at))
        extra = set(s) - {"prompt", "decode"}
        if extra:
            raise KitError("%s: unknown key \"%s\" in %s (known keys: decode, prompt)" % (path, sorted(extra)[0], at))

        def ids(v, key):
            if not isinstance(v, list):
                raise KitError("%s: %s.%s must be an array of token ids" % (path, at, key))
            for i, t in enumerate(v):
                if isinstance(t, bool) or not isinstance(t, int) or t < 0 or t >= 2 ** 31:
                    raise KitError("%s: %s.%s[%d] is not a non-negative integer token id" % (path, at, key, i))
            return list(v)

        prompt = ids(s.get("prompt"), "prompt")
        decode = ids(s.get("decode", []), "decode")
        if not prompt:
            raise KitError("%s: %s.prompt is empty" % (path, at))
        out.append((prompt, decode))
    if not out:
        raise KitError("%s: \"sequences\" is empty" % path)
    return out


# ----------------------------------------------------------------------------------------------- run


def reset_caches(model):
    for name, buf in model.named_buffers():
        if name.endswith("_cache"):
            (codes_of(buf) if is_fp8(buf) else buf).zero_()


def run_script(model, script, trace, progress=None):
    """{seq{b}.step{k}: float32 [vocab]}: each sequence in a fresh cache, the prompt as one prefill, then each
    decode token alone."""
    out = {}
    for b, (prompt, decode) in enumerate(script):
        reset_caches(model)
        pos = 0
        for k, tokens in enumerate([prompt] + [[t] for t in decode]):
            if trace is not None:
                trace.at(b, k)
            logits = model(torch.tensor([tokens], dtype=torch.long), pos)
            out["seq%d.step%d" % (b, k)] = logits[0].to(torch.float32).contiguous()
            pos += len(tokens)
            if progress:
                progress("seq%d.step%d done" % (b, k))
    return out


def golden_linear_case(model, hf_weight, raw, config_text, mode, act_dtype, captured, provenance):
    """A spec/GOLDEN_FORMAT.md `linear` case from the first call of the projection (x, y as the official code had
    them), sealed; returns (tensors, metadata, dtypes)."""
    x, y = captured
    k = x.size(-1)
    x2 = x.reshape(-1, k)
    in_f32 = torch.equal(x2.to(torch.float32).to(x2.dtype), x2)
    tensors = {
        "input.x": x2.to(torch.float32) if in_f32 else x2.to(torch.float64),
        hf_weight: raw[hf_weight][1],
        hf_weight + "_scale_inv": raw[hf_weight + "_scale_inv"][1],
        "expected.y": y.reshape(x2.size(0), -1).to(torch.float32 if y.dtype == torch.bfloat16 else y.dtype).contiguous(),
    }
    dtypes = {hf_weight: "F8_E4M3"}
    cfg = json.loads(config_text)
    fmt = (cfg.get("quantization_config") or {}).get("scale_fmt")
    tol = "tight" if act_dtype == "float64" else json.dumps({"calc_diff": 1e-5})
    meta = {
        "format": "dsv32-golden-case", "format_version": "1", "operation": "linear", "mode": mode,
        "weight": hf_weight, "config": config_text, "scale_format": fmt or "plain", "tolerance": tol,
        "seed": "exported", "description": "%s from DeepSeek's inference/model.py (%s, activations %s), the first "
                                           "call of the script" % (hf_weight, mode, act_dtype),
        "generator": "conformance/python/dsv32_official.py; official commit %s" % provenance["official_commit"],
    }
    meta["content_sha256"] = content_sha256(tensors, meta, dtypes)
    return tensors, meta, dtypes


def precision_label(mode, act_dtype):
    """This project's precision mode of a run: ``bf16`` for fp8 with bfloat16 activations, else the mode."""
    return "bf16" if mode == "fp8" and act_dtype == "bfloat16" else mode


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])

    def one_line_error(message):
        sys.stderr.write("%s: %s\n" % (PROG, message))
        sys.exit(2)

    p.error = one_line_error
    p.add_argument("--official", help="checkout root holding inference/model.py (at or after %s)" % FIX_COMMIT)
    p.add_argument("--checkpoint", help="Hugging Face-layout checkpoint directory (./dsv32 tiny-checkpoint)")
    p.add_argument("--script", help="logits script JSON {\"sequences\": [{\"prompt\": [...], \"decode\": [...]}]}")
    p.add_argument("--mode", choices=["exact", "fp8"], help="exact (float64, no activation quantisation) or fp8")
    p.add_argument("--act-dtype", choices=["float64", "float32", "bfloat16"], default="float64",
                   help="activations (fp8 mode); bfloat16 = the deployment's dtype (this project's --precision bf16)")
    p.add_argument("--out", help="logits safetensors file to write")
    p.add_argument("--trace", help="also write the decisions (spec/TRACE_FORMAT.md)")
    p.add_argument("--trace-hidden", action="store_true", help="with --trace: also the hidden state after each block and the final norm")
    p.add_argument("--export-golden-linear", metavar="CASE", help="also write a golden `linear` case (spec/GOLDEN_FORMAT.md) "
                   "from the first call of --golden-weight")
    p.add_argument("--golden-weight", default="model.layers.0.self_attn.kv_a_proj_with_mqa.weight",
                   help="the FP8 projection (Hugging Face name) for --export-golden-linear (default: %(default)s)")
    p.add_argument("--print-e4m3-table", action="store_true", help="print the 256 e4m3 values (float.hex, JSON) and exit")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    a = p.parse_args(argv)
    if a.print_e4m3_table:
        return a
    for opt in ("official", "checkpoint", "script", "mode", "out"):
        if getattr(a, opt) is None:
            p.error("--%s is required" % opt.replace("_", "-"))
    if a.mode == "exact" and a.act_dtype != "float64":
        p.error("--mode exact computes in float64; --act-dtype %s needs --mode fp8" % a.act_dtype)
    for opt in ("out", "trace", "export_golden_linear"):
        v = getattr(a, opt)
        if v is not None:
            d = os.path.dirname(os.path.abspath(v))
            if not os.path.isdir(d):
                p.error("--%s %s: directory %s does not exist" % (opt.replace("_", "-"), v, d))
            if os.path.isdir(v):
                p.error("--%s %s is a directory, not a file" % (opt.replace("_", "-"), v))
    return a


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    if a.print_e4m3_table:
        print(json.dumps([v.hex() if not math.isnan(v) else ("-nan" if math.copysign(1, v) < 0 else "nan")
                          for v in E4M3_VALUES]))
        return 0
    if torch is None:
        sys.stderr.write("%s: PyTorch is not installed for %s (Debian: apt-get install python3-torch; run with /usr/bin/python3)\n"
                         % (PROG, sys.executable))
        return 2
    try:
        return run(a, argv)
    except KitError as e:
        sys.stderr.write("%s: %s\n" % (PROG, e))
        return 2


def run(a, argv):
    _init_dtypes()
    model_py, source = check_checkout(a.official)
    cfg, config_text = read_config(a.checkpoint)
    script = read_script(a.script)
    vocab = int(cfg.get("vocab_size", 0))
    for b, (prompt, decode) in enumerate(script):
        bad = next((t for t in prompt + decode if t >= vocab), None)
        if bad is not None:
            raise KitError("%s: sequences[%d] has token id %d, past the vocabulary (%d)" % (a.script, b, bad, vocab))
    positions = max(len(p) + len(d) for p, d in script)
    act = {"float64": torch.float64, "float32": torch.float32, "bfloat16": torch.bfloat16}[a.act_dtype]
    torch.set_default_dtype(act)
    STATE.mode = a.mode
    module = load_official(model_py, source)
    args = model_args(module, cfg, os.path.join(a.checkpoint, "config.json"), positions)
    state, raw = load_state_dict(a.checkpoint, args.n_layers)
    model = build_model(module, args, state, a.mode)
    trace = Trace(args.index_topk) if a.trace else None
    if a.trace_hidden and not a.trace:
        raise KitError("--trace-hidden needs --trace FILE")
    instrument(module, model, trace, a.trace_hidden)

    captured = []
    if a.export_golden_linear:
        if a.golden_weight not in raw or a.golden_weight + "_scale_inv" not in raw:
            raise KitError("--golden-weight %s: not an FP8 weight of the checkpoint (with a _scale_inv)" % a.golden_weight)
        proj = model.get_submodule(official_name(a.golden_weight).rsplit(".", 1)[0])
        original = proj.forward

        def capture(x, _orig=original):
            y = _orig(x)
            if not captured:
                captured.append((x.detach().clone(), y.detach().clone()))
            return y

        proj.forward = capture

    progress = None if a.quiet else (lambda line: sys.stderr.write("  " + line + "\n"))
    with torch.no_grad():
        logits = run_script(model, script, trace, progress)

    with open(model_py, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    provenance = {
        "official_commit": official_commit(a.official),
        "official_dir": os.path.abspath(a.official),
        "model_py_sha256": sha,
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "command": " ".join(shlex.quote(x) for x in [sys.executable, sys.argv[0]] + list(argv)),
        "mode": a.mode,
        "act_dtype": a.act_dtype,
        "kit": "conformance/python/dsv32_official.py",
    }
    meta = {"format": "dsv32-logits-v1", "backend": BACKEND, "precision": precision_label(a.mode, a.act_dtype),
            "checkpoint": os.path.abspath(a.checkpoint)}
    meta.update(provenance)
    write_safetensors(a.out, logits, meta)
    print("wrote %d logits tensors to %s (%s, %s, activations %s)" % (len(logits), a.out, BACKEND, a.mode, a.act_dtype))
    if trace is not None:
        tmeta = dict(meta)
        tmeta["format"] = "dsv32-trace-v1"
        write_safetensors(a.trace, trace.tensors, tmeta)
        print("wrote %d trace tensors to %s" % (len(trace.tensors), a.trace))
    if a.export_golden_linear:
        tensors, gmeta, dtypes = golden_linear_case(model, a.golden_weight, raw, config_text, precision_label(a.mode, a.act_dtype), a.act_dtype,
                                                    captured[0], provenance)
        write_safetensors(a.export_golden_linear, tensors, gmeta, dtypes)
        print("wrote golden linear case %s (%s)" % (a.export_golden_linear, a.golden_weight))
    return 0


if __name__ == "__main__":
    sys.exit(main())

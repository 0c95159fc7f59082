"""PyTorch as a peer of ``./dsv32 bench --peer torch`` (org.dsv32.conformance.bench.TorchPeer starts it).

Usage: bench_torch.py MANIFEST.json

The manifest names the phase, the thread count, the timer settings of the Java bench and the products, each a
safetensors file with ``a`` [M][K] (F32: the act_quant values, exact), ``w.codes`` [N][K] (F8_E4M3) and
``w.scales`` (F32 block scales; metadata block_rows/block_cols). For each product and dtype (fp32, bf16):

- phase ``compute``: y = torch.matmul(a, W^T) once, on W dequantised to float32 (code value times its block
  scale, in float32) and then, for bf16, a and W cast to bfloat16; y is written as F32 ``y.<dtype>`` to the
  product's output file, for the Java side to compare with its float64 reference before anything is timed;
- phase ``time``: only the products and dtypes that agreed; copies of W in the dtype, at least ``copies_fp32``
  float32-sized copies' worth (the Java side's 64 MiB of cold weights), are taken in turn, so no call finds W in the
  caches; warm-up and measured calls follow the Java timer's rules (see BenchTimer).

Results (``results`` in the manifest): {"torch_version", "threads", "results": [{"case", "dtype", "best", "median",
"runs", "cpu_share", "copies", "library"}]}; cpu_share is process CPU time over wall time x threads while timed.
The safetensors files are read and written with dsv32_official's reader and writer (no safetensors package).

A case may name a ``kind`` other than the GEMM above (its input file then holds that layer's inputs, see
``mla_decode`` and ``moe`` below); it is computed, compared by the Java side and timed the same way, its weights
dequantised once (code times block scale in float32, then cast to the dtype), with no copies (as simd's layer rows).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dsv32_official as kit  # noqa: E402  (safetensors reader/writer, e4m3 decoding)

torch = kit.torch


def fail(msg):
    sys.stderr.write("bench_torch.py: %s\n" % msg)
    sys.exit(2)


def dequantized(path):
    """(a float32 [M][K], W float32 [N][K]) of a product's input file."""
    tensors = kit.read_safetensors(path)
    _, meta, _ = kit.read_safetensors_header(path)
    for name in ("a", "w.codes", "w.scales"):
        if name not in tensors:
            fail("%s: no tensor '%s'" % (path, name))
    a = tensors["a"][1].to(torch.float32)
    codes = tensors["w.codes"][1]
    scales = tensors["w.scales"][1].to(torch.float32)
    br, bc = int(meta["block_rows"]), int(meta["block_cols"])
    n, k = codes.shape
    s = scales.repeat_interleave(br, 0)[:n].repeat_interleave(bc, 1)[:, :k]
    w = kit.e4m3_decode(codes, torch.float32) * s
    return a.contiguous(), w.contiguous()


def as_dtype(t, dtype):
    return t.to(torch.bfloat16) if dtype == "bf16" else t


def timed(op_for, copies, m):
    """(best, median, runs, cpu_share) under the Java timer's rules; op_for(i) runs a call on copy i."""
    turn = [0]

    def call():
        op_for(turn[0])
        turn[0] = (turn[0] + 1) % copies

    start = time.perf_counter()
    i = 0
    while i < m["warmup_runs"] or time.perf_counter() - start < m["warmup_seconds"]:
        call()
        i += 1
    times, total, cpu = [], 0.0, 0.0
    while len(times) < max(1, m["max_runs"]) and (not times or (total < m["max_seconds"] and (len(times) < m["min_runs"] or total < m["min_seconds"]))):
        c0, t0 = time.process_time(), time.perf_counter()
        call()
        t1, c1 = time.perf_counter(), time.process_time()
        times.append(max(t1 - t0, 1e-9))
        total += t1 - t0
        cpu += c1 - c0
    s = sorted(times)
    n = len(s)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return s[0], median, n, (cpu / (total * m["threads"]) if total > 0 else None)


def library(dtype):
    """What the build says of the library behind the product (BLAS_INFO for fp32; oneDNN for bf16)."""
    if dtype == "bf16":
        return "oneDNN available" if torch.backends.mkldnn.is_available() else "no oneDNN"
    for part in torch.__config__.show().replace("\n", ",").split(","):
        if "BLAS_INFO=" in part:
            info = part.split("BLAS_INFO=", 1)[1].strip()
            if info == "generic":  # Debian: the system libblas, which its alternatives point at (often OpenBLAS)
                import glob
                for lib in glob.glob("/usr/lib/*/libblas.so.3"):
                    return "BLAS_INFO=generic: %s" % os.path.realpath(lib)
            return "BLAS_INFO=" + info
    return ""


def weight(tensors, meta, name):
    """A weight as float32 [N][K]: FP8 codes times their block scales (``name.codes``, ``name.scales``) or F32 values."""
    if name + ".codes" in tensors:
        codes = tensors[name + ".codes"][1]
        scales = tensors[name + ".scales"][1].to(torch.float32)
        br, bc = int(meta["block_rows"]), int(meta["block_cols"])
        n, k = codes.shape
        s = scales.repeat_interleave(br, 0)[:n].repeat_interleave(bc, 1)[:, :k]
        return (kit.e4m3_decode(codes, torch.float32) * s).contiguous()
    if name not in tensors:
        fail("no tensor '%s' (nor '%s.codes')" % (name, name))
    return tensors[name][1].to(torch.float32).contiguous()


def rms_norm(x, w, eps):
    """RMSNorm computed in float32, returned in x's dtype (as DeepSeek's model.py does for bf16 activations)."""
    f = x.to(torch.float32)
    return (f * torch.rsqrt(f.pow(2).mean(-1, keepdim=True) + eps) * w).to(x.dtype)


def rope_interleaved(x, cos, sin):
    """Rotates the pairs (2i, 2i+1) of the last dimension by the angles whose cos and sin are given, in float32."""
    f = x.to(torch.float32)
    a, b = f[..., 0::2], f[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2).to(x.dtype)


class MlaDecode:
    """One decode token of absorbed MLA (spec/SEMANTICS.md §7) at position ``position`` = the cache's length, over
    the keys ``selection`` of the cache plus the token itself (the reference's selection: the indexer is not run).
    Inputs: x [1][D]; q_a, q_b, kv_a, kv_b, o (FP8 or F32); q_a_norm, kv_a_norm; the cache's latents [S][rank] and
    rotated k_pe [S][rope]; selection (I32); cos, sin [rope/2] at the position; metadata heads, nope, rope, v, rank,
    eps, softmax_scale. The new entry is written into row S of a cache of S + 1 rows on every call."""

    def __init__(self, tensors, meta, dt):
        self.dt = dt
        self.h, self.nope, self.rope, self.v, self.rank = (int(meta[k]) for k in ("heads", "nope", "rope", "v", "rank"))
        self.eps, self.scale = float(meta["eps"]), float(meta["softmax_scale"])
        cast = lambda t: t.to(dt).contiguous()
        self.w = {n: cast(weight(tensors, meta, n)) for n in ("q_a", "q_b", "kv_a", "kv_b", "o")}
        self.q_norm = weight(tensors, meta, "q_a_norm").reshape(-1)
        self.kv_norm = weight(tensors, meta, "kv_a_norm").reshape(-1)
        kvb = self.w["kv_b"].view(self.h, self.nope + self.v, self.rank)
        self.w_uk, self.w_uv = kvb[:, :self.nope].contiguous(), kvb[:, self.nope:].contiguous()
        lat = tensors["latents"][1].to(torch.float32)
        pe = tensors["k_pe"][1].to(torch.float32)
        s = lat.shape[0]
        self.latents = torch.zeros(s + 1, self.rank, dtype=dt)
        self.latents[:s] = lat.to(dt)
        self.k_pe = torch.zeros(s + 1, self.rope, dtype=dt)
        self.k_pe[:s] = pe.to(dt)
        self.pos = s
        self.sel = tensors["selection"][1].to(torch.int64).reshape(-1)
        self.cos = tensors["cos"][1].to(torch.float32).reshape(-1)
        self.sin = tensors["sin"][1].to(torch.float32).reshape(-1)
        self.x = tensors["x"][1].to(dt).reshape(1, -1)

    def __call__(self):
        w, h = self.w, self.h
        cq = rms_norm(torch.matmul(self.x, w["q_a"].t()), self.q_norm, self.eps)
        q = torch.matmul(cq, w["q_b"].t()).view(h, self.nope + self.rope)
        q_nope, q_pe = q[:, :self.nope], rope_interleaved(q[:, self.nope:], self.cos, self.sin)
        kv = torch.matmul(self.x, w["kv_a"].t()).view(-1)
        self.latents[self.pos] = rms_norm(kv[:self.rank], self.kv_norm, self.eps)
        self.k_pe[self.pos] = rope_interleaved(kv[self.rank:], self.cos, self.sin)
        lat = self.latents.index_select(0, self.sel)
        pe = self.k_pe.index_select(0, self.sel)
        q_t = torch.bmm(q_nope.unsqueeze(1), self.w_uk).squeeze(1)               # [H][rank]
        scores = (torch.matmul(q_t, lat.t()) + torch.matmul(q_pe, pe.t())) * self.scale
        p = torch.softmax(scores.to(torch.float32), dim=-1).to(self.dt)         # softmax in float32, as model.py
        o_t = torch.matmul(p, lat)                                                # [H][rank]
        o = torch.bmm(self.w_uv, o_t.unsqueeze(2)).squeeze(2)                    # [H][v]
        return torch.matmul(o.reshape(1, -1), w["o"].t())


class Moe:
    """One MoE layer (spec/SEMANTICS.md §9) with the routing given (the reference gate's: the router is not run):
    y_t = sum_i w_ti Expert_{e_ti}(x_t) + Shared(x_t), Expert(x) = down(silu(gate(x)) * up(x)), each expert's
    tokens gathered and its three matmuls run in the dtype, the weighted sum accumulated in float32. Inputs: x
    [T][D]; experts (I32) and weights (F32) [T][k]; the sets set<j>.{gate,up,down} and shared.{gate,up,down}
    (FP8 or F32); metadata distinct: expert e uses set e mod distinct."""

    def __init__(self, tensors, meta, dt):
        self.dt = dt
        self.distinct = int(meta["distinct"])
        cast = lambda t: t.to(dt).contiguous()
        self.sets = [tuple(cast(weight(tensors, meta, "set%d.%s" % (j, n))) for n in ("gate", "up", "down")) for j in range(self.distinct)]
        self.shared = tuple(cast(weight(tensors, meta, "shared." + n)) for n in ("gate", "up", "down")) if "shared.gate.codes" in tensors or "shared.gate" in tensors else None
        self.x = tensors["x"][1].to(dt)
        experts = tensors["experts"][1].to(torch.int64)
        weights = tensors["weights"][1].to(torch.float32)
        # per routed expert, ascending: the rows routed to it and their weights (the routing is an input, not timed)
        self.routes = []
        for e in torch.unique(experts).tolist():
            rows, slots = (experts == e).nonzero(as_tuple=True)
            self.routes.append((e % self.distinct, rows, weights[rows, slots].unsqueeze(1)))

    @staticmethod
    def mlp(x, g, u, d):
        return torch.matmul(torch.nn.functional.silu(torch.matmul(x, g.t())) * torch.matmul(x, u.t()), d.t())

    def __call__(self):
        y = torch.zeros(self.x.shape, dtype=torch.float32)
        for j, rows, w in self.routes:
            y.index_add_(0, rows, self.mlp(self.x.index_select(0, rows), *self.sets[j]).to(torch.float32) * w)
        if self.shared is not None:
            y += self.mlp(self.x, *self.shared).to(torch.float32)
        return y


LAYERS = {"mla_decode": MlaDecode, "moe": Moe}


def layer(case, dt):
    """The layer of a non-GEMM case, built in the dtype (weights dequantised and cast before anything is timed)."""
    tensors = kit.read_safetensors(case["input"])
    _, meta, _ = kit.read_safetensors_header(case["input"])
    return LAYERS[case["kind"]](tensors, meta, torch.bfloat16 if dt == "bf16" else torch.float32)


def run_layer(case, m, out):
    """Computes (phase compute) or times (phase time) a layer case in each of its dtypes."""
    ys = {}
    for dt in case["dtypes"]:
        with torch.no_grad():
            f = layer(case, dt)
            if m["phase"] == "compute":
                ys["y." + dt] = f().to(torch.float32).contiguous()
            else:
                best, median, runs, share = timed(lambda i: f(), 1, m)
                r = {"case": case["name"], "dtype": dt, "best": best, "median": median, "runs": runs, "copies": 1,
                     "library": library(dt)}
                if share is not None:
                    r["cpu_share"] = share
                out["results"].append(r)
        del f
    if m["phase"] == "compute":
        kit.write_safetensors(case["output"], ys, {"torch_version": torch.__version__})


def main(argv):
    if len(argv) != 2:
        fail("usage: bench_torch.py MANIFEST.json")
    if torch is None:
        fail("PyTorch is not importable by %s" % sys.executable)
    with open(argv[1]) as f:
        m = json.load(f)
    torch.set_num_threads(int(m["threads"]))
    out = {"torch_version": torch.__version__, "threads": torch.get_num_threads(), "results": []}
    for case in m["cases"]:
        if case.get("kind", "gemm") != "gemm":
            run_layer(case, m, out)
            continue
        a32, w32 = dequantized(case["input"])
        if m["phase"] == "compute":
            ys = {}
            with torch.no_grad():
                for dt in case["dtypes"]:
                    y = torch.matmul(as_dtype(a32, dt), as_dtype(w32, dt).t())
                    ys["y." + dt] = y.to(torch.float32).contiguous()
            kit.write_safetensors(case["output"], ys, {"torch_version": torch.__version__})
        else:
            for dt in case["dtypes"]:
                a = as_dtype(a32, dt)
                per = 4 if dt == "fp32" else 2
                copies = max(1, (int(case["copies_fp32"]) * 4 + per - 1) // per)
                copies = min(copies, 1024)
                ws = [as_dtype(w32, dt).clone() for _ in range(copies)]
                with torch.no_grad():
                    best, median, runs, share = timed(lambda i: torch.matmul(a, ws[i].t()), copies, m)
                r = {"case": case["name"], "dtype": dt, "best": best, "median": median, "runs": runs, "copies": copies,
                     "library": library(dt)}
                if share is not None:
                    r["cpu_share"] = share
                out["results"].append(r)
                del ws
    with open(m["results"] + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(m["results"] + ".tmp", m["results"])


if __name__ == "__main__":
    main(sys.argv)

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

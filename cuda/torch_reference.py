#!/usr/bin/env python3
"""PyTorch reference point for the cuda backend's speed targets, run on the GPU machine by device-check.sh.

Times, on the same GPU and in the same run as `./dsv32 bench --backend cuda`:
  - bf16 torch.matmul and (when present) FP8 e4m3 torch._scaled_mm for M = N = K = 4096 and the MoE expert shapes
    of DeepSeek-V3.2 (tokens x 2048 x 7168 and tokens x 7168 x 2048 for 64 and 512 tokens);
  - HBM bandwidth by a device-to-device copy of 4 GiB (bytes read + written).
Writes JSON to the path given as the first argument: {"device": ..., "torch": ..., "results": [...]}.
Written for this project; no GPU or torch was available where it was written, so treat a failure as a bug to fix.
"""
import json
import sys
import time


def timed(fn, warmup=3, iters=10):
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1e3 / iters


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "torch.json"
    import torch
    if not torch.cuda.is_available():
        raise SystemExit("torch sees no CUDA device")
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    results = []
    shapes = [(4096, 4096, 4096)]
    for tokens in (64, 512):
        shapes += [(tokens, 2048, 7168), (tokens, 7168, 2048)]
    for m, n, k in shapes:
        a = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
        b = torch.randn(n, k, device=dev, dtype=torch.bfloat16)
        s = timed(lambda: torch.matmul(a, b.t()))
        results.append({"op": "matmul_bf16", "m": m, "n": n, "k": k, "seconds": s, "tflops": 2 * m * n * k / s / 1e12})
        if hasattr(torch, "_scaled_mm") and hasattr(torch, "float8_e4m3fn"):
            try:
                a8 = a.to(torch.float8_e4m3fn)
                b8 = b.to(torch.float8_e4m3fn)  # (n, k) row-major; .t() gives the column-major operand _scaled_mm wants
                one = torch.tensor(1.0, device=dev)
                fn = lambda: torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
                s8 = timed(fn)
                results.append({"op": "scaled_mm_e4m3", "m": m, "n": n, "k": k, "seconds": s8,
                                "tflops": 2 * m * n * k / s8 / 1e12, "scales": "per-tensor"})
            except Exception as e:  # report, do not hide
                results.append({"op": "scaled_mm_e4m3", "m": m, "n": n, "k": k, "error": repr(e)})
    nbytes = 4 << 30
    src = torch.empty(nbytes, dtype=torch.uint8, device=dev)
    dst = torch.empty_like(src)
    s = timed(lambda: dst.copy_(src), warmup=2, iters=5)
    results.append({"op": "d2d_copy", "bytes": 2 * nbytes, "seconds": s, "gbytes_per_s": 2 * nbytes / s / 1e9})
    report = {"device": props.name, "sms": props.multi_processor_count, "torch": torch.__version__,
              "cuda": torch.version.cuda, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": results}
    with open(out_path, "w") as f:
        json.dump(report, f, indent=1)
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    main()

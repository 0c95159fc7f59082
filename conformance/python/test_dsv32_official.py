"""Tests of the PyTorch kit (dsv32_official.py). Run from the repository root:

    DSV32_OFFICIAL_DIR=/path/to/DeepSeek-V3.2-Exp /usr/bin/python3 -m unittest conformance/python/test_dsv32_official.py -v

Without PyTorch every test skips, and without DSV32_OFFICIAL_DIR (a checkout at or after 8631a81) the end-to-end
test skips — each with a printed reason. The end-to-end test writes a tiny checkpoint with ./dsv32 (or takes
DSV32_TINY_CHECKPOINT).
"""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
KIT = os.path.join(HERE, "dsv32_official.py")
sys.path.insert(0, HERE)

import dsv32_official as kit  # noqa: E402  (imports without torch too)

torch = kit.torch
OFFICIAL = os.environ.get("DSV32_OFFICIAL_DIR")


def loud_skip(reason):
    sys.stderr.write("\n*** SKIPPED: %s\n" % reason)
    return unittest.skip(reason)


needs_torch = (lambda f: f) if torch is not None else loud_skip(
    "PyTorch is not installed for %s (apt-get install python3-torch; run with /usr/bin/python3)" % sys.executable)
needs_official = (lambda f: f) if OFFICIAL and os.path.isfile(os.path.join(OFFICIAL, "inference", "model.py")) else loud_skip(
    "DSV32_OFFICIAL_DIR is not set to a DeepSeek-V3.2-Exp checkout (at or after 8631a81) holding inference/model.py")


def run_kit(*args):
    return subprocess.run([sys.executable, KIT] + list(args), capture_output=True, text=True)


class E4M3TableTest(unittest.TestCase):
    """The decoding table against values computed from the format definition (the JUnit OfficialKitTest checks
    the same table against the Java E4M3.decode)."""

    def test_landmarks(self):
        v = kit.E4M3_VALUES
        self.assertEqual(v[0x00], 0.0)
        self.assertEqual(math.copysign(1, v[0x80]), -1.0)
        self.assertEqual(v[0x01], 2.0 ** -9)       # smallest subnormal
        self.assertEqual(v[0x07], 7 * 2.0 ** -9)   # largest subnormal
        self.assertEqual(v[0x08], 2.0 ** -6)       # smallest normal
        self.assertEqual(v[0x38], 1.0)
        self.assertEqual(v[0x39], 1.125)
        self.assertEqual(v[0x7E], 448.0)           # largest finite, S.1111.110
        self.assertEqual(v[0xFE], -448.0)
        self.assertTrue(math.isnan(v[0x7F]) and math.isnan(v[0xFF]))
        self.assertEqual(sum(1 for x in v if math.isnan(x)), 2)

    def test_positive_codes_increase_and_negatives_mirror(self):
        v = kit.E4M3_VALUES
        for c in range(1, 127):
            self.assertLess(v[c - 1], v[c], "code %d" % c)
        for c in range(127):
            self.assertEqual(v[c | 0x80], -v[c])

    @needs_torch
    def test_native_float8_agrees_where_available(self):
        if not kit.FP8_NATIVE:
            sys.stderr.write("\n(note: this PyTorch %s has no float8 dtype; the native comparison is not run)\n" % torch.__version__)
            return
        native = torch.arange(256, dtype=torch.int32).to(torch.uint8).view(torch.float8_e4m3fn).to(torch.float64)
        for c in range(256):
            if math.isnan(kit.E4M3_VALUES[c]):
                self.assertTrue(math.isnan(native[c].item()))
            else:
                self.assertEqual(native[c].item(), kit.E4M3_VALUES[c], "code %d" % c)


@needs_torch
class E4M3EncodeTest(unittest.TestCase):
    def codes(self, values):
        return kit.e4m3_encode(torch.tensor(values, dtype=torch.float64)).tolist()

    def test_every_value_encodes_to_its_code(self):
        finite = [c for c in range(256) if not math.isnan(kit.E4M3_VALUES[c])]
        got = self.codes([kit.E4M3_VALUES[c] for c in finite])
        self.assertEqual(got, finite)

    def test_midpoints_round_to_even(self):
        self.assertEqual(self.codes([1.0625, 1.1875, -1.0625]), [0x38, 0x3A, 0xB8])  # 1|1.125 -> 1; 1.125|1.25 -> 1.25
        self.assertEqual(self.codes([152.0, 136.0]), [0x72, 0x70])  # 144|160 -> 160 (even); 128|144 -> 128
        self.assertEqual(self.codes([2.0 ** -10, 3 * 2.0 ** -10]), [0x00, 0x02])  # subnormal grid 2^-9
        self.assertEqual(self.codes([152.0000001, 151.9999999]), [0x72, 0x71])  # off the midpoint: nearest

    def test_saturation_nan_and_float32_input(self):
        self.assertEqual(self.codes([500.0, -1e30, float("inf"), float("nan")]), [0x7E, 0xFE, 0x7E, 0x7F])
        self.assertEqual(kit.e4m3_encode(torch.tensor([1.0625], dtype=torch.float32)).tolist(), [0x38])


@needs_torch
class ActQuantTest(unittest.TestCase):
    def setUp(self):
        self.mode = kit.STATE.mode
        kit.STATE.mode = "fp8"

    def tearDown(self):
        kit.STATE.mode = self.mode

    def quant(self, row, fmt):
        q, s = kit.act_quant(torch.tensor([row], dtype=torch.float64), 128, fmt)
        return kit.codes_of(q)[0].tolist(), s[0].tolist()

    def test_ue8m0_scale_is_the_next_power_of_two_and_midpoints_tie_to_even(self):
        s = 2.0 ** -7                        # amax 3 -> 3/448 = 0.0067 -> 2^-7
        row = [3.0, 1.0625 * s, 1.1875 * s, -152 * s] + [0.0] * 124
        codes, scales = self.quant(row, "ue8m0")
        self.assertEqual(scales, [s])
        self.assertEqual(codes[:4], [0x7C, 0x38, 0x3A, 0xF2])  # 3/s = 384; ties to even; -152 -> -160
        self.assertEqual(codes[4:], [0] * 124)

    def test_plain_scale_is_fp32_amax_times_fp32_reciprocal(self):
        codes, scales = self.quant([3.0] + [0.0] * 127, None)
        f32 = lambda x: struct.unpack("<f", struct.pack("<f", x))[0]
        self.assertEqual(scales, [f32(f32(3.0) * f32(1 / 448.0))])
        self.assertEqual(kit.E4M3_VALUES[codes[0]], 448.0)

    def test_all_zero_tile_uses_the_amax_floor(self):
        _, plain = self.quant([0.0] * 128, None)
        _, ue8m0 = self.quant([0.0] * 128, "ue8m0")
        self.assertAlmostEqual(plain[0], 1e-4 / 448, delta=1e-12)
        self.assertEqual(ue8m0, [2.0 ** -22])  # 2.2e-7 rounded up

    def test_exact_mode_is_the_identity(self):
        kit.STATE.mode = "exact"
        x = torch.randn(2, 256, dtype=torch.float64)
        q, s = kit.act_quant(x, 128, "ue8m0")
        self.assertTrue(torch.equal(q, x))
        self.assertEqual(tuple(s.shape), (2, 2))

    def test_ue8m0_round_up(self):
        got = kit.ue8m0_round_up(torch.tensor([1.0, 3.0, 2.0 ** -130, 0.75], dtype=torch.float32)).tolist()
        self.assertEqual(got, [1.0, 4.0, 2.0 ** -126, 1.0])

    def test_fp8_gemm_scales_every_block(self):
        a_codes = kit.e4m3_encode(torch.tensor([[1.0] * 128 + [2.0] * 128]))
        w_codes = kit.e4m3_encode(torch.ones(3, 256))
        y = kit.fp8_gemm(kit.as_fp8(a_codes), torch.tensor([[0.5, 0.25]]), kit.as_fp8(w_codes), torch.tensor([[2.0, 4.0]]))
        self.assertEqual(y.tolist(), [[128 * 1 * 0.5 * 2 + 128 * 2 * 0.25 * 4] * 3])


@needs_torch
class Bfloat16StandInTest(unittest.TestCase):
    """--act-dtype bfloat16: the stand-ins behave as the kernels do on bf16 activations (spec/SEMANTICS.md §5c)."""

    def setUp(self):
        self.mode, self.dtype = kit.STATE.mode, torch.get_default_dtype()
        kit.STATE.mode = "fp8"
        torch.set_default_dtype(torch.bfloat16)

    def tearDown(self):
        kit.STATE.mode = self.mode
        torch.set_default_dtype(self.dtype)

    def test_act_quant_divides_in_fp32_not_in_bf16(self):
        # x / s with a plain (non power of two) scale: bf16 division would round the quotient to 8 bits first
        torch.manual_seed(3)
        x = torch.randn(4, 128, dtype=torch.bfloat16)
        q, s = kit.act_quant(x, 128, None)
        want = kit.e4m3_encode(x.float() / s)
        self.assertTrue(torch.equal(kit.codes_of(q), want))
        self.assertEqual(s.dtype, torch.float32)

    def test_fp8_gemm_accumulates_in_fp32_and_stores_bf16(self):
        torch.manual_seed(4)
        a = torch.randn(3, 256, dtype=torch.bfloat16)
        kit.STATE.mode = "fp8"
        qa, sa = kit.act_quant(a, 128, "ue8m0")
        w = kit.e4m3_encode(torch.randn(5, 256, dtype=torch.float64))
        ws = torch.tensor([[0.5, 0.25]], dtype=torch.float32)
        y = kit.fp8_gemm(qa, sa, kit.as_fp8(w), ws)
        torch.set_default_dtype(torch.float32)
        wide = kit.fp8_gemm(qa, sa, kit.as_fp8(w), ws)
        self.assertEqual(y.dtype, torch.bfloat16)
        self.assertTrue(torch.equal(y, wide.to(torch.bfloat16)))

    def test_fp8_index_scores_are_fp32(self):
        q = kit.as_fp8(kit.e4m3_encode(torch.ones(1, 2, 4, 128)))
        k = kit.as_fp8(kit.e4m3_encode(torch.ones(1, 3, 128)))
        score = kit.fp8_index(q, torch.full((1, 2, 4), 0.5), k, torch.ones(1, 3))
        self.assertEqual(score.dtype, torch.float32)
        self.assertEqual(score[0, 0, 0].item(), 4 * 128 * 0.5)

    def test_hadamard_rounds_once_after_the_scale(self):
        torch.manual_seed(5)
        x = torch.randn(6, 128, dtype=torch.bfloat16)
        y = kit.hadamard_transform(x, scale=128 ** -0.5)
        self.assertEqual(y.dtype, torch.bfloat16)
        self.assertTrue(torch.equal(y, kit.hadamard_transform(x.float(), scale=128 ** -0.5).to(torch.bfloat16)))

    def test_fp32_scalar_multiplies_as_cuda_does(self):
        torch.manual_seed(6)
        v = 192 ** -0.5 * 1.2345
        x = torch.randn(2000, dtype=torch.bfloat16)
        want = (x.float() * v).to(torch.bfloat16)
        s = kit.Fp32Scalar(v)
        y = x.clone()
        y.mul_(s)
        self.assertTrue(torch.equal(y, want))
        self.assertTrue(torch.equal(x * s, want))
        self.assertTrue(torch.equal(s * x, want))
        # the trap itself: PyTorch's CPU scalar path rounds v to bf16 first, so many products differ
        self.assertGreater(int(((x * v) != want).sum()), 100)

    def test_precision_label(self):
        self.assertEqual(kit.precision_label("fp8", "bfloat16"), "bf16")
        self.assertEqual(kit.precision_label("fp8", "float32"), "fp8")
        self.assertEqual(kit.precision_label("exact", "float64"), "exact")


@needs_torch
class SafetensorsTest(unittest.TestCase):
    def test_round_trip(self):
        tensors = {
            "a.f64": torch.tensor([[1.5, -2.0], [3.25, float("-inf")]], dtype=torch.float64),
            "b.f32": torch.arange(5, dtype=torch.float32),
            "c.bf16": torch.tensor([1.0, -0.5], dtype=torch.bfloat16),
            "d.i32": torch.tensor([[-1, 7]], dtype=torch.int32),
            "e.fp8": torch.tensor([0x38, 0x7E, 0x80], dtype=torch.uint8),
            "f.empty": torch.zeros(0, 3, dtype=torch.float32),
        }
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.safetensors")
            kit.write_safetensors(path, tensors, {"format": "x", "n": 3}, {"e.fp8": "F8_E4M3"})
            with open(path, "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                self.assertEqual(n % 8, 0)
            header, meta, _ = kit.read_safetensors_header(path)
            self.assertEqual(meta, {"format": "x", "n": "3"})
            got = kit.read_safetensors(path)
        self.assertEqual(set(got), set(tensors))
        self.assertEqual(got["e.fp8"][0], "F8_E4M3")
        self.assertEqual(got["c.bf16"][0], "BF16")
        for name, t in tensors.items():
            self.assertEqual(got[name][1].dtype, t.dtype, name)
            self.assertEqual(tuple(got[name][1].shape), tuple(t.shape), name)
            self.assertTrue(torch.equal(got[name][1], t), name)

    def test_seal_ignores_layout_and_covers_content(self):
        a = {"x": torch.ones(2), "y": torch.zeros(1, dtype=torch.int32)}
        b = {"y": torch.zeros(1, dtype=torch.int32), "x": torch.ones(2)}
        meta = {"format": "f", "content_sha256": "ignored"}
        self.assertEqual(kit.content_sha256(a, meta), kit.content_sha256(b, {"format": "f"}))
        self.assertNotEqual(kit.content_sha256(a, meta), kit.content_sha256({"x": torch.ones(2) * 2, "y": a["y"]}, meta))


OLD_INDEXER = """
class Indexer:
    def forward(self, x, qr, start_pos, freqs_cis, mask):
        q_pe = apply_rotary_emb(q_pe, freqs_cis)
        k_pe = apply_rotary_emb(k_pe.unsqueeze(2), freqs_cis).squeeze(2)
"""
NEW_INDEXER = OLD_INDEXER.replace("freqs_cis)", "freqs_cis, False)")


class RefusalTest(unittest.TestCase):
    def fake_checkout(self, d, source):
        os.makedirs(os.path.join(d, "inference"))
        with open(os.path.join(d, "inference", "model.py"), "w") as f:
            f.write(source)

    def test_interleaved_indexer_rope_is_refused_from_the_code(self):
        with self.assertRaises(kit.KitError) as e:
            kit.refuse_old_indexer_rope(OLD_INDEXER, "model.py")
        self.assertIn("predates the indexer RoPE fix", str(e.exception))
        kit.refuse_old_indexer_rope(NEW_INDEXER, "model.py")  # accepted
        with self.assertRaises(kit.KitError):  # one call fixed, one not
            kit.refuse_old_indexer_rope(OLD_INDEXER.replace("freqs_cis)\n", "freqs_cis, False)\n", 1), "model.py")
        kit.refuse_old_indexer_rope(OLD_INDEXER.replace("freqs_cis)", "freqs_cis, interleaved=False)"), "model.py")

    def test_cli_refuses_bad_input_with_one_line_and_exit_2(self):
        with tempfile.TemporaryDirectory() as d:
            old = os.path.join(d, "old")
            self.fake_checkout(old, OLD_INDEXER)
            cases = [
                ["--official", os.path.join(d, "missing")],
                ["--official", d],  # no inference/model.py
                ["--official", old],
            ]
            for extra in cases:
                r = run_kit(*(extra + ["--checkpoint", d, "--script", "s.json", "--mode", "exact", "--out", os.path.join(d, "o.safetensors")]))
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertTrue(r.stderr.startswith("dsv32_official: "), r.stderr)
            r = run_kit("--official", old, "--mode", "exact")
            self.assertEqual((r.returncode, len(r.stderr.strip().splitlines())), (2, 1), r.stderr)

    @needs_official
    def test_the_fixed_checkout_is_accepted(self):
        kit.check_checkout(OFFICIAL)


@needs_torch
@needs_official
class EndToEndTest(unittest.TestCase):
    """The kit on a tiny checkpoint: logits and trace in our formats, with their provenance."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ckpt = os.environ.get("DSV32_TINY_CHECKPOINT")
        if not cls.ckpt:
            cls.ckpt = os.path.join(cls.tmp.name, "ckpt")
            r = subprocess.run([os.path.join(REPO, "dsv32"), "tiny-checkpoint", "--out", cls.ckpt], capture_output=True, text=True)
            if r.returncode != 0:
                cls.tmp.cleanup()
                raise unittest.SkipTest("./dsv32 tiny-checkpoint failed (and DSV32_TINY_CHECKPOINT is not set): "
                                        + (r.stderr.strip().splitlines() or ["?"])[-1])
        with open(os.path.join(cls.ckpt, "config.json")) as f:
            cls.config = json.load(f)
        cls.script = os.path.join(cls.tmp.name, "s.json")
        prompt = [(7 * i + 3) % cls.config["vocab_size"] for i in range(cls.config["index_topk"] + 5)]
        with open(cls.script, "w") as f:
            json.dump({"sequences": [{"prompt": prompt, "decode": [1, 2, 3]}]}, f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_mode(self, mode, act="float64"):
        out = os.path.join(self.tmp.name, "%s-%s.safetensors" % (mode, act))
        trace = out.replace(".safetensors", ".trace.safetensors")
        r = run_kit("--official", OFFICIAL, "--checkpoint", self.ckpt, "--script", self.script, "--mode", mode,
                    "--act-dtype", act, "--out", out, "--trace", trace, "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        return kit.read_safetensors_header(out), kit.read_safetensors(out), kit.read_safetensors_header(trace), kit.read_safetensors(trace)

    def test_logits_and_trace_in_our_formats(self):
        (h, meta, _), logits, (_, tmeta, _), trace = self.run_mode("exact")
        self.assertEqual(sorted(logits), ["seq0.step%d" % k for k in range(4)])
        for name, (dt, t) in logits.items():
            self.assertEqual((dt, tuple(t.shape)), ("F32", (self.config["vocab_size"],)), name)
            self.assertTrue(torch.isfinite(t).all(), name)
        self.assertEqual((meta["format"], meta["backend"], meta["precision"], meta["act_dtype"]),
                         ("dsv32-logits-v1", "deepseek-official", "exact", "float64"))
        for key in ("official_commit", "model_py_sha256", "torch_version", "python_version", "command", "checkpoint"):
            self.assertIn(key, meta)
        self.assertEqual(tmeta["format"], "dsv32-trace-v1")
        topk, T = self.config["index_topk"], len(json.load(open(self.script))["sequences"][0]["prompt"])
        dense = self.config["first_k_dense_replace"]
        for layer in range(self.config["num_hidden_layers"]):
            dt, sel = trace["seq0.step0.layer%d.indexer.selected" % layer]
            self.assertEqual((dt, tuple(sel.shape)), ("I32", (T, topk)))
            for r in range(T):
                row = [s for s in sel[r].tolist() if s >= 0]
                self.assertEqual(len(row), min(topk, r + 1))
                self.assertTrue(all(s <= r for s in row), row)
                self.assertEqual(len(set(row)), len(row))
            dt, scores = trace["seq0.step0.layer%d.indexer.scores" % layer]
            self.assertEqual((dt, tuple(scores.shape)), ("F64", (T, T)))
            self.assertTrue(torch.isinf(scores[0, 1:]).all())
            moe = "seq0.step3.layer%d.moe.experts" % layer
            self.assertEqual(moe in trace, layer >= dense, moe)
            if layer >= dense:
                self.assertEqual(tuple(trace[moe][1].shape), (1, self.config["num_experts_per_tok"]))

    def test_fp8_float32_runs_and_differs_from_exact(self):
        _, exact, _, _ = self.run_mode("exact")
        (_, meta, _), fp8, _, _ = self.run_mode("fp8", "float32")
        self.assertEqual((meta["precision"], meta["act_dtype"]), ("fp8", "float32"))
        self.assertFalse(torch.equal(exact["seq0.step0"][1], fp8["seq0.step0"][1]))

    def test_bfloat16_runs_as_precision_bf16_and_differs_from_fp8(self):
        _, fp8, _, _ = self.run_mode("fp8", "float32")
        (_, meta, _), bf16, _, trace = self.run_mode("fp8", "bfloat16")
        self.assertEqual((meta["precision"], meta["act_dtype"]), ("bf16", "bfloat16"))
        for name, (dt, t) in bf16.items():
            self.assertEqual(dt, "F32", name)  # the LM head is fp32 in bf16 mode too
            self.assertTrue(torch.isfinite(t).all(), name)
        self.assertFalse(torch.equal(fp8["seq0.step0"][1], bf16["seq0.step0"][1]))
        self.assertIn("seq0.step0.layer0.indexer.scores", trace)

    def test_bfloat16_needs_fp8_mode(self):
        r = run_kit("--official", OFFICIAL, "--checkpoint", self.ckpt, "--script", self.script, "--mode", "exact",
                    "--act-dtype", "bfloat16", "--out", os.path.join(self.tmp.name, "x.safetensors"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--act-dtype bfloat16 needs --mode fp8", r.stderr)


if __name__ == "__main__":
    unittest.main()

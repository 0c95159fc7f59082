package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TorchPeer}: the peer's outputs are compared with the float64 reference before it is timed, and only what
 * agreed is timed. A fake peer script (plain python, no torch) stands in for bench_torch.py: it computes y = a W^T
 * from the input file, optionally wrong in one dtype, and writes made-up timings; the real script runs only where
 * PyTorch is installed.
 */
class TorchPeerTest {
    @TempDir Path tmp;

    static final Fp8GemmWorkload.Shape SHAPE = new Fp8GemmWorkload.Shape(128, 256);

    /** A stand-in for bench_torch.py: same manifest, files and results; {@code WRONG} dtype's y is off by 10% (beyond the bf16 bound of 3 x 2^-8 T). */
    static final String FAKE = """
            import json, struct, sys
            WRONG = %s
            def read(path):
                with open(path, 'rb') as f:
                    n = struct.unpack('<Q', f.read(8))[0]
                    h = json.loads(f.read(n)); data = f.read()
                meta = h.pop('__metadata__', {})
                out = {}
                for k, v in h.items():
                    a, b = v['data_offsets']; raw = data[a:b]
                    if v['dtype'] == 'F32': vals = list(struct.unpack('<%%df' %% (len(raw) // 4), raw))
                    else: vals = list(raw)
                    out[k] = (v['shape'], vals)
                return out, meta
            def e4m3(c):
                s = -1.0 if c & 0x80 else 1.0; e = (c >> 3) & 15; m = c & 7
                return s * (m / 8.0 * 2.0 ** -6 if e == 0 else (1 + m / 8.0) * 2.0 ** (e - 7))
            def write(path, tensors):
                header, blobs, off = {}, [], 0
                for k, (shape, vals) in tensors.items():
                    raw = struct.pack('<%%df' %% len(vals), *vals)
                    header[k] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [off, off + len(raw)]}
                    blobs.append(raw); off += len(raw)
                h = json.dumps(header).encode(); h += b' ' * ((8 - len(h) %% 8) %% 8)
                with open(path, 'wb') as f:
                    f.write(struct.pack('<Q', len(h))); f.write(h)
                    for b in blobs: f.write(b)
            m = json.load(open(sys.argv[1]))
            res = {'torch_version': 'fake', 'threads': m['threads'], 'results': []}
            with open(sys.argv[1] + '.cases', 'w') as log:
                for c in m['cases']:
                    log.write(c['name'] + ':' + ','.join(c['dtypes']) + '\\n')
                    if m['phase'] == 'compute':
                        t, meta = read(c['input'])
                        (M, K), a = t['a']; (N, _), codes = t['w.codes']; (sr, sc), sc_vals = t['w.scales']
                        br, bc = int(meta['block_rows']), int(meta['block_cols'])
                        y = []
                        for i in range(M):
                            for j in range(N):
                                y.append(sum(a[i * K + q] * e4m3(codes[j * K + q]) * sc_vals[(j // br) * sc + q // bc] for q in range(K)))
                        out = {}
                        for dt in c['dtypes']:
                            out['y.' + dt] = ([M, N], [v * 1.1 + 0.1 for v in y] if dt == WRONG else y)
                        write(c['output'], out)
                    else:
                        for dt in c['dtypes']:
                            res['results'].append({'case': c['name'], 'dtype': dt, 'best': 0.001, 'median': 0.002, 'runs': 3, 'copies': 2, 'cpu_share': 0.5})
            json.dump(res, open(m['results'], 'w'))
            """;

    private static Optional<String> python3() {
        for (String py : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(py, "-c", "pass").start();
                if (p.waitFor() == 0) return Optional.of(py);
            } catch (Exception e) {
                // try the next
            }
        }
        return Optional.empty();
    }

    private TorchPeer fakePeer(String wrong) throws Exception {
        Optional<String> py = python3();
        assumeTrue(py.isPresent(), "SKIPPED: no python3 to run the fake peer script");
        Path script = tmp.resolve("fake_peer.py");
        Files.writeString(script, FAKE.formatted(wrong == null ? "None" : "'" + wrong + "'"));
        Path dir = Files.createDirectories(tmp.resolve("work"));
        return new TorchPeer(new TorchPeer.Launch(List.of(py.get()), script, "fake"), dir);
    }

    private static BenchReport report() { return new BenchReport(new MachineLimits(2, 512, 100, 10, 1 << 20), "test"); }

    @Test
    void agreeingOutputsAreTimedAndReportedInTheGemmsGroup() throws Exception {
        TorchPeer peer = fakePeer(null);
        BenchReport report = report();
        List<String> failures = new ArrayList<>();
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(2, SHAPE, 31)) {
            report.add(new BenchResult("fp8_gemm", java.util.Map.of("m", 2, "n", 128, "k", 256), "simd",
                    new BenchTimer.Timing(1, 1, 1, Double.NaN), w.flops(), w.weightBytes(), ""));
            peer.add(w);
        }
        peer.run(report, BenchTimer.smoke(), failures, (f, a) -> {});
        assertEquals(List.of(), failures);
        assertEquals(List.of("simd", "torch-fp32", "torch-bf16"), report.results().stream().map(BenchResult::backend).toList());
        BenchResult fp32 = report.results().get(1), bf16 = report.results().get(2);
        assertEquals(0.001, fp32.seconds());
        assertEquals(4.0 * 128 * 256, fp32.bytes(), "fp32 W: 4 bytes a weight");
        assertEquals(2.0 * 128 * 256, bf16.bytes(), "bf16 W: 2 bytes a weight");
        assertEquals(2.0 * 2 * 128 * 256, bf16.flops());
        assertTrue(fp32.note().contains("threads"), fp32.note());
        assertEquals("gemm.2x128x256:fp32,bf16\n", Files.readString(tmp.resolve("work/torch-time.json.cases")));
    }

    @Test
    void aDtypeThatDisagreesIsReportedAndNotTimed() throws Exception {
        TorchPeer peer = fakePeer("bf16");
        BenchReport report = report();
        List<String> failures = new ArrayList<>();
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(2, SHAPE, 32)) {
            peer.add(w);
        }
        peer.run(report, BenchTimer.smoke(), failures, (f, a) -> {});
        assertEquals(1, failures.size(), failures.toString());
        assertTrue(failures.get(0).contains("torch-bf16 disagrees with the float64 reference"), failures.get(0));
        assertEquals(List.of("torch-fp32"), report.results().stream().map(BenchResult::backend).toList());
        assertTrue(report.skipped().stream().anyMatch(s -> s.backend().equals("torch-bf16") && s.reason().startsWith("DISAGREES")));
        assertEquals("gemm.2x128x256:fp32\n", Files.readString(tmp.resolve("work/torch-time.json.cases")), "bf16 not timed");
    }

    @Test
    void aFailingScriptIsReportedAndTheRunGoesOn() throws Exception {
        Optional<String> py = python3();
        assumeTrue(py.isPresent(), "SKIPPED: no python3");
        Path script = Files.writeString(tmp.resolve("broken.py"), "import sys\nsys.stderr.write('no luck\\n')\nsys.exit(3)\n");
        TorchPeer peer = new TorchPeer(new TorchPeer.Launch(List.of(py.get()), script, "fake"), Files.createDirectories(tmp.resolve("w")));
        BenchReport report = report();
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(1, SHAPE, 33)) {
            peer.add(w);
        }
        peer.run(report, BenchTimer.smoke(), new ArrayList<>(), (f, a) -> {});
        assertTrue(report.results().isEmpty());
        assertTrue(report.skipped().stream().anyMatch(s -> s.reason().contains("exited with 3") && s.reason().contains("no luck")), report.skipped().toString());
    }

    @Test
    void withoutAPythonThatImportsTorchFindSaysWhy() {
        StringBuilder why = new StringBuilder();
        assertFalse(TorchPeer.find(tmp.resolve("no-such-python").toString(), why).isPresent());
        assertTrue(why.toString().contains("no python with PyTorch") && why.toString().contains("no-such-python"), why.toString());
    }

    /** The real bench_torch.py through the real PyTorch, where it is installed (skipped loudly elsewhere). */
    @Test
    void theRealScriptAgreesWithTheReference() throws Exception {
        StringBuilder why = new StringBuilder();
        Optional<TorchPeer.Launch> launch = TorchPeer.find(System.getenv("DSV32_PYTHON"), why);
        if (launch.isEmpty()) System.err.println("TorchPeerTest: SKIPPING the real PyTorch peer: " + why);
        assumeTrue(launch.isPresent(), "SKIPPED, no PyTorch: " + why);
        TorchPeer peer = new TorchPeer(launch.get(), Files.createDirectories(tmp.resolve("real")));
        BenchReport report = report();
        List<String> failures = new ArrayList<>();
        try (Fp8GemmWorkload w = Fp8GemmWorkload.create(3, new Fp8GemmWorkload.Shape(192, 384), 34)) {
            peer.add(w);
        }
        peer.run(report, BenchTimer.smoke(), failures, (f, a) -> {});
        assertEquals(List.of(), failures);
        assertEquals(List.of("torch-fp32", "torch-bf16"), report.results().stream().map(BenchResult::backend).toList(), report.skipped().toString());
    }
}

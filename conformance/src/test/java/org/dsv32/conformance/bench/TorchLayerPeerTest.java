package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.config.ModelPresets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TorchPeer#runLayer}: a layer's PyTorch form is compared with the float64 reference before it is timed, a
 * dtype that disagrees is reported and not timed, the rows follow the layer's group, and the peer's files are removed.
 * A fake layer and a fake script (plain python: it copies the answer the fake layer wrote, 10% off in one dtype) test
 * the protocol; the real bench_torch.py runs the MLA decode and the MoE at the tiny configuration where PyTorch is
 * installed.
 */
class TorchLayerPeerTest {
    @TempDir Path tmp;

    /** Copies the input's F32 tensor 'answer' to y.<dtype> ({@code WRONG}'s scaled by 1.1), and writes made-up timings. */
    static final String FAKE = """
            import json, struct, sys
            WRONG = %s
            m = json.load(open(sys.argv[1]))
            res = {'torch_version': 'fake', 'threads': m['threads'], 'results': []}
            with open(sys.argv[1] + '.cases', 'w') as log:
                for c in m['cases']:
                    log.write(c['kind'] + ':' + ','.join(c['dtypes']) + '\\n')
                    if m['phase'] == 'compute':
                        with open(c['input'], 'rb') as f:
                            n = struct.unpack('<Q', f.read(8))[0]; h = json.loads(f.read(n)); data = f.read()
                        a, b = h['answer']['data_offsets']
                        y = struct.unpack('<%%df' %% ((b - a) // 4), data[a:b])
                        header, blobs, off = {}, [], 0
                        for dt in c['dtypes']:
                            raw = struct.pack('<%%df' %% len(y), *[v * 1.1 if dt == WRONG else v for v in y])
                            header['y.' + dt] = {'dtype': 'F32', 'shape': [len(y)], 'data_offsets': [off, off + len(raw)]}
                            blobs.append(raw); off += len(raw)
                        hb = json.dumps(header).encode(); hb += b' ' * ((8 - len(hb) %% 8) %% 8)
                        with open(c['output'], 'wb') as f:
                            f.write(struct.pack('<Q', len(hb))); f.write(hb)
                            for blob in blobs: f.write(blob)
                    else:
                        for dt in c['dtypes']:
                            res['results'].append({'case': c['name'], 'dtype': dt, 'best': 0.001, 'median': 0.002, 'runs': 3, 'copies': 1})
            json.dump(res, open(m['results'], 'w'))
            """;

    /** A layer whose PyTorch form's answer is the expected output itself, written into its input file. */
    static final class FakeLayer implements LayerWorkload, TorchLayer {
        final double[] expected = {1, -2, 3, 0.5};
        Path input;

        @Override public String op() { return "moe"; }

        @Override public Map<String, Object> shape() {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("tokens", 2);
            return s;
        }

        @Override public double flops() { return 100; }
        @Override public double bytes() { return 10; }
        @Override public Optional<Call> call(Backend backend) { return Optional.empty(); }
        @Override public double check(Backend reference, Backend candidate) { return 0; }
        @Override public void close() {}

        @Override
        public Case torchCase(Path input, Backend reference) {
            this.input = input;
            new Inputs().floats("answer", expected, expected.length).write(input);
            return new Case("moe", expected, "fake layer", 1000, 50, "a fake");
        }
    }

    private static Optional<String> python3() {
        for (String py : List.of("python3", "/usr/bin/python3")) {
            try {
                if (new ProcessBuilder(py, "-c", "pass").start().waitFor() == 0) return Optional.of(py);
            } catch (Exception e) {
                // try the next
            }
        }
        return Optional.empty();
    }

    private TorchPeer fakePeer(String wrong) throws Exception {
        Optional<String> py = python3();
        assumeTrue(py.isPresent(), "SKIPPED: no python3 to run the fake peer script");
        Path script = Files.writeString(tmp.resolve("fake_layer_peer.py"), FAKE.formatted(wrong == null ? "None" : "'" + wrong + "'"));
        return new TorchPeer(new TorchPeer.Launch(List.of(py.get()), script, "fake"), Files.createDirectories(tmp.resolve("work")));
    }

    private static BenchReport report(FakeLayer w) {
        BenchReport r = new BenchReport(new MachineLimits(2, 512, 100, 10, 1 << 20), "test");
        r.add(new BenchResult(w.op(), w.shape(), "simd", new BenchTimer.Timing(1, 1, 1, Double.NaN), w.flops(), w.bytes(), ""));
        return r;
    }

    @Test
    void agreeingDtypesAreTimedAfterTheLayersRowsAndTheFilesRemoved() throws Exception {
        TorchPeer peer = fakePeer(null);
        FakeLayer w = new FakeLayer();
        BenchReport report = report(w);
        List<String> failures = new ArrayList<>();
        peer.runLayer(w, new ReferenceBackend(), report, BenchTimer.smoke(), failures, (f, a) -> {});
        assertEquals(List.of(), failures);
        assertEquals(List.of("simd", "torch-fp32", "torch-bf16"), report.results().stream().map(BenchResult::backend).toList());
        BenchResult fp32 = report.results().get(1), bf16 = report.results().get(2);
        assertEquals(0.001, fp32.seconds());
        assertEquals(1000, fp32.flops(), "the PyTorch form's own work");
        assertEquals(4.0 * 50, fp32.bytes(), "fp32: 4 bytes an element");
        assertEquals(2.0 * 50, bf16.bytes(), "bf16: 2 bytes an element");
        assertTrue(fp32.note().contains("a fake") && fp32.note().contains("within normwise"), fp32.note());
        assertEquals("moe:fp32,bf16\n", Files.readString(tmp.resolve("work/torch-time.json.cases")));
        assertFalse(Files.exists(w.input), "the input file is removed");
    }

    @Test
    void aDtypeThatDisagreesIsReportedAndNotTimed() throws Exception {
        TorchPeer peer = fakePeer("bf16");
        FakeLayer w = new FakeLayer();
        BenchReport report = report(w);
        List<String> failures = new ArrayList<>();
        peer.runLayer(w, new ReferenceBackend(), report, BenchTimer.smoke(), failures, (f, a) -> {});
        assertEquals(1, failures.size(), failures.toString());
        assertTrue(failures.get(0).contains("torch-bf16 disagrees with the float64 reference"), failures.get(0));
        assertEquals(List.of("simd", "torch-fp32"), report.results().stream().map(BenchResult::backend).toList());
        assertTrue(report.skipped().stream().anyMatch(s -> s.backend().equals("torch-bf16") && s.reason().startsWith("DISAGREES")));
        assertEquals("moe:fp32\n", Files.readString(tmp.resolve("work/torch-time.json.cases")), "bf16 not timed");
    }

    /**
     * bench_torch.py's MlaDecode and Moe agree with the float64 reference at the tiny configuration (skipped without
     * PyTorch), the MoE's experts mapped onto fewer weight sets than the workload's own (as at the real dimensions).
     */
    @Test
    void theRealScriptsLayersAgreeWithTheReference() throws Exception {
        StringBuilder why = new StringBuilder();
        Optional<TorchPeer.Launch> launch = TorchPeer.find(System.getenv("DSV32_PYTHON"), why);
        if (launch.isEmpty()) System.err.println("TorchLayerPeerTest: SKIPPING the real PyTorch layers: " + why);
        assumeTrue(launch.isPresent(), "SKIPPED, no PyTorch: " + why);
        TorchPeer peer = new TorchPeer(launch.get(), Files.createDirectories(tmp.resolve("real")));
        BenchReport report = new BenchReport(new MachineLimits(2, 512, 100, 10, 1 << 20), "test");
        List<String> failures = new ArrayList<>();
        var tiny = ModelPresets.tiny();
        try (MlaDecodeWorkload mla = new MlaDecodeWorkload(tiny, 16, 5); MoeWorkload moe = new MoeWorkload(tiny, 3, tiny.nRoutedExperts(), 6)) {
            // PyTorch's experts reuse 2 of the workload's sets: the reference must be judged on that mapping too
            moe.torchSetLimit = 2;
            peer.runLayer(mla, new ReferenceBackend(), report, BenchTimer.smoke(), failures, (f, a) -> {});
            peer.runLayer(moe, new ReferenceBackend(), report, BenchTimer.smoke(), failures, (f, a) -> {});
        }
        assertEquals(List.of(), failures);
        assertEquals(List.of("mla_decode torch-fp32", "mla_decode torch-bf16", "moe torch-fp32", "moe torch-bf16"),
                report.results().stream().map(r -> r.op() + " " + r.backend()).toList(), report.skipped().toString());
    }
}

package org.dsv32.conformance.golden;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dsv32.spec.io.OutputFiles;
import org.dsv32.spec.io.SafetensorsException;
import org.dsv32.spec.io.SafetensorsFile;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;

/**
 * Seals golden files after they were written elsewhere or edited on purpose: recomputes each file's
 * {@code content_sha256}, points cases at their weights file's new seal ({@code weights_sha256}), and rewrites the
 * directory's {@code manifest.json} from the cases' metadata. Weights files are sealed before the cases that use them.
 */
public final class GoldenSealer {
    private GoldenSealer() {}

    /** The files sealed (relative to the directory, or the file itself) and whether a manifest was written. */
    public record Result(List<String> sealed, boolean manifest) {}

    public static Result seal(Path path) throws IOException {
        if (Files.isRegularFile(path)) {
            Map<String, String> seals = new LinkedHashMap<>();
            Map<String, String> meta = metadata(path);
            String wf = meta.get(GoldenFormat.WEIGHTS_FILE);
            if (wf != null) seals.put(wf, metadata(GoldenGenerator.inside(path.toAbsolutePath().getParent(), wf)).get(GoldenFormat.CONTENT_SHA256));
            rewrite(path, seals);
            return new Result(List.of(path.toString()), false);
        }
        if (!Files.isDirectory(path)) throw new java.nio.file.NoSuchFileException(path.toString());
        List<Path> cases = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(path, "*" + GoldenFormat.EXTENSION)) {
            for (Path p : ds) if (Files.isRegularFile(p)) cases.add(p);
        }
        cases.sort(null);
        Set<String> weightFiles = new LinkedHashSet<>();
        for (Path c : cases) {
            String wf = metadata(c).get(GoldenFormat.WEIGHTS_FILE);
            if (wf != null) weightFiles.add(wf);
        }
        // Every file this rewrites is checked first, so that a refused one (a symbolic link, say) leaves nothing half-sealed.
        for (String wf : weightFiles) OutputFiles.checkFile(GoldenGenerator.inside(path, wf));
        for (Path c : cases) OutputFiles.checkFile(c);
        OutputFiles.checkFile(path.resolve(GoldenFormat.MANIFEST));
        List<String> sealed = new ArrayList<>();
        Map<String, String> seals = new LinkedHashMap<>();
        for (String wf : weightFiles) {
            seals.put(wf, rewrite(GoldenGenerator.inside(path, wf), Map.of()));
            sealed.add(wf);
        }
        String seed = "";
        Path manifest = path.resolve(GoldenFormat.MANIFEST);
        if (Files.isRegularFile(manifest)) {
            try {
                seed = GoldenManifest.read(manifest).seed();
            } catch (GoldenException e) {
                // rewritten below
            }
        }
        List<GoldenManifest.Entry> entries = new ArrayList<>();
        for (Path c : cases) {
            rewrite(c, seals);
            sealed.add(c.getFileName().toString());
            Map<String, String> m = metadata(c);
            String file = c.getFileName().toString();
            entries.add(new GoldenManifest.Entry(file.substring(0, file.length() - GoldenFormat.EXTENSION.length()), file,
                    m.getOrDefault(GoldenFormat.OPERATION, "-"), m.getOrDefault(GoldenFormat.MODE, "-"), m.getOrDefault(GoldenFormat.SCALE_FORMAT, "-"),
                    m.getOrDefault(GoldenFormat.TOLERANCE, "tight"), m.getOrDefault(GoldenFormat.DESCRIPTION, ""), GoldenSeal.ofFile(c), Files.size(c)));
        }
        List<GoldenManifest.FileEntry> weights = new ArrayList<>();
        for (String wf : weightFiles) {
            Path p = GoldenGenerator.inside(path, wf);
            weights.add(new GoldenManifest.FileEntry(wf, GoldenSeal.ofFile(p), Files.size(p)));
        }
        new GoldenManifest(seed, weights, entries).write(manifest);
        return new Result(sealed, true);
    }

    private static Map<String, String> metadata(Path p) throws SafetensorsException {
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            return new LinkedHashMap<>(f.metadata());
        }
    }

    /** Re-seals one file, setting weights_sha256 from {@code weightSeals} when it names a weights file; returns the seal. */
    private static String rewrite(Path p, Map<String, String> weightSeals) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            List<TensorData> tensors = new ArrayList<>();
            for (String n : f.names()) tensors.add(f.tensor(n));
            Map<String, String> m = new LinkedHashMap<>(f.metadata());
            String wf = m.get(GoldenFormat.WEIGHTS_FILE);
            if (wf != null && weightSeals.containsKey(wf)) m.put(GoldenFormat.WEIGHTS_SHA256, weightSeals.get(wf));
            String seal = GoldenSeal.of(tensors, m);
            m.put(GoldenFormat.CONTENT_SHA256, seal);
            SafetensorsWriter.write(p, tensors, m);
            return seal;
        }
    }
}

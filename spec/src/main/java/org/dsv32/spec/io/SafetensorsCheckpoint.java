package org.dsv32.spec.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face checkpoint: one safetensors file, or a directory holding {@code model.safetensors} or shards.
 *
 * <p>Which files a directory means, in order:
 * <ol>
 *   <li>{@code model.safetensors.index.json}: the shards its {@code weight_map} (tensor to shard file) names. Every
 *       mapped tensor must be in its shard, and every tensor of a shard must be mapped to that shard, so no tensor
 *       appears twice or unlisted.</li>
 *   <li>else {@code model.safetensors};</li>
 *   <li>else every {@code *.safetensors} file of the directory, by name; a tensor name in two files is refused.</li>
 * </ol>
 * Tensors are read lazily through the shards' mappings; {@link #close} unmaps them all.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";
    public static final String CONFIG = "config.json";

    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final Path root;
    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;

    private SafetensorsCheckpoint(Path root, Path directory, List<SafetensorsFile> files, Map<String, SafetensorsFile> owner) {
        this.root = root;
        this.directory = directory;
        this.files = List.copyOf(files);
        this.owner = owner;
    }

    /** Opens a checkpoint directory or a single safetensors file. */
    public static SafetensorsCheckpoint open(Path path) throws SafetensorsException {
        if (Files.isRegularFile(path)) {
            SafetensorsFile f = SafetensorsFile.open(path);
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            for (String n : f.names()) owner.put(n, f);
            Path parent = path.toAbsolutePath().getParent();
            return new SafetensorsCheckpoint(path, parent, List.of(f), owner);
        }
        if (!Files.isDirectory(path)) throw new SafetensorsException(path, "no such file or directory");
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> owner = Files.isRegularFile(path.resolve(INDEX))
                    ? openIndexed(path, opened)
                    : openUnindexed(path, opened);
            return new SafetensorsCheckpoint(path, path, opened, owner);
        } catch (SafetensorsException | RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, SafetensorsFile> openIndexed(Path dir, List<SafetensorsFile> opened) throws SafetensorsException {
        Path index = dir.resolve(INDEX);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (JacksonException e) {
            throw new SafetensorsException(index, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsException(index, "cannot read: " + e, e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new SafetensorsException(index, "no weight_map object");
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String tensor = e.getKey();
            JsonNode v = e.getValue();
            if (!v.isTextual()) throw new SafetensorsException(index, tensor, "weight_map value is not a file name: " + v);
            String shardName = v.textValue();
            Path shardPath = dir.resolve(shardName);
            if (!shardPath.toAbsolutePath().normalize().startsWith(dir.toAbsolutePath().normalize())) {
                throw new SafetensorsException(index, tensor, "shard '" + shardName + "' lies outside the checkpoint directory");
            }
            SafetensorsFile shard = shards.get(shardName);
            if (shard == null) {
                if (!Files.isRegularFile(shardPath)) {
                    throw new SafetensorsException(index, tensor, "shard file '" + shardName + "' does not exist");
                }
                shard = SafetensorsFile.open(shardPath);
                opened.add(shard);
                shards.put(shardName, shard);
            }
            if (!shard.contains(tensor)) throw new SafetensorsException(shardPath, tensor, "mapped here by " + INDEX + " but not in this file");
            owner.put(tensor, shard);
        }
        for (SafetensorsFile shard : opened) {
            for (String n : shard.names()) {
                SafetensorsFile o = owner.get(n);
                if (o != shard) {
                    throw new SafetensorsException(shard.path(), n, o == null ? "present in this shard but not in " + INDEX
                            : "also present in shard " + o.path().getFileName() + " (where " + INDEX + " maps it)");
                }
            }
        }
        return owner;
    }

    private static Map<String, SafetensorsFile> openUnindexed(Path dir, List<SafetensorsFile> opened) throws SafetensorsException {
        List<Path> paths = new ArrayList<>();
        if (Files.isRegularFile(dir.resolve(SINGLE))) {
            paths.add(dir.resolve(SINGLE));
        } else {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
                for (Path p : ds) if (Files.isRegularFile(p)) paths.add(p);
            } catch (IOException e) {
                throw new SafetensorsException(dir, "cannot list: " + e, e);
            }
            paths.sort(null);
        }
        if (paths.isEmpty()) throw new SafetensorsException(dir, "no " + INDEX + ", " + SINGLE + " or *.safetensors file");
        Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
        for (Path p : paths) {
            SafetensorsFile f = SafetensorsFile.open(p);
            opened.add(f);
            for (String n : f.names()) {
                SafetensorsFile prev = owner.putIfAbsent(n, f);
                if (prev != null) throw new SafetensorsException(p, n, "also present in " + prev.path().getFileName());
            }
        }
        return owner;
    }

    /** The directory or file this was opened from. */
    public Path root() { return root; }

    /** The directory holding the checkpoint (the file's directory for a single file). */
    public Path directory() { return directory; }

    /** The safetensors files, in the order their tensors are listed. */
    public List<Path> files() { return files.stream().map(SafetensorsFile::path).toList(); }

    /** All tensor names: shard by shard, each in header order. */
    public List<String> names() { return List.copyOf(owner.keySet()); }

    public int size() { return owner.size(); }

    public boolean contains(String name) { return owner.containsKey(name); }

    /** The shard holding {@code name}. */
    public Path fileOf(String name) throws SafetensorsException { return shard(name).path(); }

    public SafetensorsFile.TensorInfo info(String name) throws SafetensorsException { return shard(name).info(name); }

    /** The tensor as a view of its shard's mapping (valid until {@link #close}). */
    public TensorData tensor(String name) throws SafetensorsException { return shard(name).tensor(name); }

    /** The {@code __metadata__} of every file merged (later files win on equal keys). */
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        for (SafetensorsFile f : files) m.putAll(f.metadata());
        return m;
    }

    /**
     * {@code config.json} of the checkpoint's directory (for a single file, the one beside it), if there is one.
     */
    public Optional<Path> configFile() {
        Path c = directory.resolve(CONFIG);
        return Files.isRegularFile(c) ? Optional.of(c) : Optional.empty();
    }

    private SafetensorsFile shard(String name) throws SafetensorsException {
        SafetensorsFile f = owner.get(name);
        if (f == null) throw new SafetensorsException(root, name, "no such tensor in this checkpoint");
        return f;
    }

    @Override
    public void close() { files.forEach(SafetensorsFile::close); }
}

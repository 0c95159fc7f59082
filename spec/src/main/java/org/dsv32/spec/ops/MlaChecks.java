package org.dsv32.spec.ops;

import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.weights.Weight;

/**
 * The argument checks every {@link MlaAttentionOp} implementation makes, in one place so that every backend refuses
 * the same inputs with the same message.
 */
public final class MlaChecks {
    private MlaChecks() {}

    /** kv_b_proj must be [heads * (nope + v)][kv_lora_rank]. */
    public static void checkKvB(ModelConfig config, Weight kvB) {
        int expectRows = config.numAttentionHeads() * (config.qkNopeHeadDim() + config.vHeadDim());
        if (kvB.rows() != expectRows || kvB.cols() != config.kvLoraRank()) {
            throw new IllegalArgumentException(kvB.name() + ": shape " + kvB.rows() + "x" + kvB.cols() + ", expected "
                    + expectRows + "x" + config.kvLoraRank() + " (heads * (nope + v) x kv_lora_rank)");
        }
    }

    /** A forced selection must have one row per query and name keys in [0, keys). Check it before any cache changes. */
    public static void checkForcedSelection(int[][] forced, int tokens, int keys) {
        if (forced.length != tokens) {
            throw new IllegalArgumentException("MLA: forced selection has " + forced.length + " rows for " + tokens + " tokens");
        }
        for (int t = 0; t < tokens; t++) {
            for (int s : forced[t]) {
                if (s < 0 || s >= keys) {
                    throw new IllegalArgumentException("MLA: forced selection of query " + t + " names key " + s + " outside [0, " + keys + ")");
                }
            }
        }
    }

    /** A deep copy of a selection, so a result never aliases the caller's arrays. */
    public static int[][] copy(int[][] a) {
        int[][] c = new int[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }
}

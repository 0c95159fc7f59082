package org.dsv32.spec.weights;

import java.util.List;
import org.dsv32.spec.config.ModelConfig;

/** Every weight of a checkpoint, as views on its (memory-mapped) storage. {@code mtp} is empty when the checkpoint has none. */
public record ModelWeights(ModelConfig config, Weight embedding, List<LayerWeights> layers, Weight finalNorm,
                           Weight lmHead, List<MtpWeights> mtp) {}

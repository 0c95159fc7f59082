package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/** MLA output [T][D] and the indexer decision it used. */
public record AttentionResult(TensorF64 output, IndexerResult indexer) {}

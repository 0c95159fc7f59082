package org.dsv32.spec.ops;

/**
 * Which dimensions RoPE rotates together: {@link #INTERLEAVED} pairs (2i, 2i+1) — MLA; {@link #HALF_SPLIT}
 * (NeoX) pairs (i, i + d/2) — the indexer. Swapping them is a known, silent port bug.
 */
public enum RopeLayout { INTERLEAVED, HALF_SPLIT }

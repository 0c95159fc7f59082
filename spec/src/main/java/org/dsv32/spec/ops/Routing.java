package org.dsv32.spec.ops;

/**
 * The MoE gate's decision for T tokens: per token the selected experts (descending selection score, ties to the
 * lower index) and their weights (sigmoid scores without the bias, renormalised, times routed_scaling_factor),
 * the sigmoid scores s [T][E], the selection scores b = s + bias with −∞ for experts of dropped groups [T][E],
 * the group scores (sum of the top-2 b per group) [T][G] and the kept groups per token.
 */
public record Routing(int[][] experts, double[][] weights, double[][] scores, double[][] selectionScores,
                      double[][] groupScores, int[][] groups) {}

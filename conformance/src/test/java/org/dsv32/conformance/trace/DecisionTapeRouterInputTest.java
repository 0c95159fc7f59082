package org.dsv32.conformance.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.checks.RoutingJudge;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.MoeWeights;
import org.junit.jupiter.api.Test;

/**
 * The bf16 tier's routing judgement inside a block: judged on the candidate's own router input. A correct router
 * whose input lies one flipped bf16 store away from the reference's routes differently by more than the router's
 * score tolerance: judged on the reference's input (the exact/fp8 rule) that fails, judged on its own input it
 * passes. A wrong routing, or a router input that is wrong by more than the value gate, still fails.
 */
class DecisionTapeRouterInputTest {
    private static final ModelConfig C = ConformanceConfigs.small();
    private static final MoeWeights W = RandomWeights.layer(new SplittableRandom(5), C, C.firstKDenseReplace(), C.activationScaleFormat()).moe();
    private static final MoeGateOp GATE = Backends.byName("reference").require(MoeGateOp.class, new OpContext(C, PrecisionMode.BF16));
    private static final Tolerance GATE_TOL = Tolerances.moeGate(C);
    /** The value gate of the router input: the smallest bf16 gate there is (a few flips' worth). */
    private static final Tolerance VALUE_TOL = new Tolerance(Bf16Tolerance.FEW_FLIPS_CALC_DIFF, Double.NaN, Double.NaN, "test: a few bf16 flips");

    /**
     * One token of bf16 values for the router {@code w}, and the same token with one element one bf16 step away (a
     * store upstream rounded the other way).
     */
    private record Flip(MoeWeights w, TensorF64 reference, TensorF64 candidate) {}

    /**
     * A near-tie that one flipped store decides, the case the bf16 tier met at real dims. A seeded Gaussian token of
     * bf16 values; e1 the weakest expert the reference gate chooses, e2 the best one it leaves out among the kept
     * groups; the element whose one-step flip raises b[e2] − b[e1] most, by d; then e2's correction bias set so that
     * b[e2] = b[e1] − d/2. Unflipped, e1 wins by d/2; flipped, e2 wins by d/2. (Raising e2's bias only raises the
     * score of its group, which is kept already.)
     */
    private static Flip routingMovingFlip() {
        SplittableRandom rng = new SplittableRandom(11);
        TensorF64 x = TensorF64.zeros(1, C.hiddenSize());
        for (int i = 0; i < C.hiddenSize(); i++) x.put(0, i, BF16.round((float) rng.nextGaussian()));
        Routing own = GATE.route(x.copy(), W);
        double[] b = own.selectionScores()[0];
        int e1 = own.experts()[0][0];
        for (int e : own.experts()[0]) if (b[e] < b[e1]) e1 = e;
        int e2 = -1, per = C.nRoutedExperts() / C.nGroup();
        for (int g : own.groups()[0]) {
            for (int e = g * per; e < (g + 1) * per; e++) {
                final int ee = e;
                if (Arrays.stream(own.experts()[0]).noneMatch(c -> c == ee) && (e2 < 0 || b[e] > b[e2])) e2 = e;
            }
        }
        TensorF64 best = null;
        double d = 0;
        for (int i = 0; i < C.hiddenSize(); i++) {
            for (int dir = -1; dir <= 1; dir += 2) {
                TensorF64 y = x.copy();
                y.put(0, i, oneBf16Step(x.at(0, i), dir));
                double[] by = GATE.route(y.copy(), W).selectionScores()[0];
                double gain = (by[e2] - by[e1]) - (b[e2] - b[e1]);
                if (gain > d) { d = gain; best = y; }
            }
        }
        double[] bias = W.correctionBias().row(0);
        bias[e2] += (b[e1] - d / 2) - b[e2];
        MoeWeights w = new MoeWeights(W.router(), DenseWeight.ofDoubles(W.correctionBias().name(), bias, 1, bias.length), W.experts(), W.shared());
        return new Flip(w, x, best);
    }

    private static double oneBf16Step(double v, int dir) {
        short bits = BF16.fromFloat((float) v);
        return BF16.toFloat((short) (bits + (v >= 0 ? dir : -dir)));
    }

    /** Records the candidate's router input and routing, then runs the reference's step through the replayer. */
    private static Routing replay(DecisionTape tape, CaseEval ev, boolean onCandidateInput, MoeWeights w, TensorF64 candidateInput, Routing candidate,
                                  TensorF64 referenceInput) {
        tape.arm(ev, "step 0", C, 0.01, GATE_TOL, onCandidateInput);
        Decisions rec = tape.recorder(), rep = tape.replayer();
        rec.gateInput(1, candidateInput);
        rec.routing(1, candidate, w, GATE);
        tape.disarm();
        rep.gateInput(1, referenceInput);
        Routing forced = rep.routing(1, GATE.route(referenceInput.copy(), w), w, GATE);
        tape.finish();
        return forced;
    }

    @Test
    void aRoutingMovedByAFlippedStoreUpstreamFailsOnTheReferenceInputAndPassesOnTheCandidates() {
        Flip f = routingMovingFlip();
        MoeWeights w = f.w();
        Routing candidate = GATE.route(f.candidate().copy(), w); // a correct router on its own (flipped) input
        int[] a = candidate.experts()[0].clone(), b = GATE.route(f.reference().copy(), w).experts()[0].clone();
        Arrays.sort(a);
        Arrays.sort(b);
        assertFalse(Arrays.equals(a, b), "the flip moves the routing");

        CaseEval before = new CaseEval("before", VALUE_TOL);
        replay(new DecisionTape(), before, false, w, f.candidate(), candidate, f.reference());
        assertFalse(before.result().passed(), "judged on the reference's input, the flip reads as a routing violation");
        assertTrue(before.result().decisions().violation() > 0);

        DecisionTape tape = new DecisionTape();
        CaseEval now = new CaseEval("now", VALUE_TOL);
        Routing forced = replay(tape, now, true, w, f.candidate(), candidate, f.reference());
        CaseResult r = now.result();
        assertTrue(r.passed(), r.failures().toString());
        assertEquals(0, r.decisions().violation());
        assertEquals(1, tape.routedOnCandidateInput());
        assertArrayEquals(candidate.experts()[0], forced.experts()[0], "the reference goes on with the candidate's experts");
        Routing own = GATE.route(f.reference().copy(), w);
        assertArrayEquals(RoutingJudge.replay(C, candidate, own).weights()[0], forced.weights()[0], 0,
                "weighted from the reference's own scores: no value of the candidate's is adopted");
        assertTrue(r.stats().calcDiff() > 0, "the router input was compared, and differs by the flip");
    }

    @Test
    void aWrongRoutingStillFailsOnTheCandidatesOwnInput() {
        Flip f = routingMovingFlip();
        MoeWeights w = f.w();
        Routing right = GATE.route(f.candidate().copy(), w);
        // the candidate's router keeps the right groups but takes its last expert from the bottom of them: a decision error
        int[] experts = right.experts()[0].clone();
        int per = C.nRoutedExperts() / C.nGroup();
        int[] kept = right.groups()[0];
        double[] b = right.selectionScores()[0];
        int worst = -1;
        for (int g : kept) for (int e = g * per; e < (g + 1) * per; e++) if (worst < 0 || b[e] < b[worst]) worst = e;
        int lowest = 0;
        for (int i = 1; i < experts.length; i++) if (b[experts[i]] < b[experts[lowest]]) lowest = i;
        final int w0 = worst;
        assertFalse(Arrays.stream(experts).anyMatch(e -> e == w0), "the worst expert of the kept groups is not chosen");
        experts[lowest] = worst;
        Routing wrong = new Routing(new int[][] {experts}, right.weights(), right.scores(), right.selectionScores(), right.groupScores(), right.groups());

        CaseEval ev = new CaseEval("wrong", VALUE_TOL);
        replay(new DecisionTape(), ev, true, w, f.candidate(), wrong, f.reference());
        CaseResult r = ev.result();
        assertFalse(r.passed());
        assertTrue(r.decisions().violation() > 0, r.failures().toString());
    }

    @Test
    void aRouterInputOffByMoreThanTheValueGateFailsEvenThoughItsRoutingIsConsistent() {
        Flip f = routingMovingFlip();
        MoeWeights w = f.w();
        TensorF64 off = f.candidate().copy();
        for (int i = 0; i < off.cols(); i++) off.put(0, i, BF16.round((float) (1.05 * off.at(0, i)))); // a norm weight 5% off
        Routing candidate = GATE.route(off.copy(), w);

        CaseEval ev = new CaseEval("off", VALUE_TOL);
        replay(new DecisionTape(), ev, true, w, off, candidate, f.reference());
        CaseResult r = ev.result();
        assertFalse(r.passed(), "the router input itself is a value, judged by the case's gate");
        assertEquals(0, r.decisions().violation(), "its routing is the reference gate's on that input");
        assertTrue(r.failures().stream().anyMatch(s -> s.contains("router input")), r.failures().toString());
    }

    @Test
    void aMissingRouterInputFailsTheCase() {
        Flip f = routingMovingFlip();
        MoeWeights w = f.w();
        DecisionTape tape = new DecisionTape();
        CaseEval ev = new CaseEval("missing", VALUE_TOL);
        tape.arm(ev, "step 0", C, 0.01, GATE_TOL, true);
        tape.recorder().routing(1, GATE.route(f.candidate().copy(), w), w, GATE); // no gateInput recorded
        tape.disarm();
        tape.replayer().gateInput(1, f.reference());
        Routing forced = tape.replayer().routing(1, GATE.route(f.reference().copy(), w), w, GATE);
        tape.finish();
        assertNotNull(forced);
        assertFalse(ev.result().passed());
    }
}

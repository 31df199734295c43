package dev.tailor.passes.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The selection strategies against objectives whose optimum is known by hand: each removed candidate costs its
 * own amount, plus an interaction term where a test needs one.
 */
class SelectorTest {
    private static final List<String> IDS = List.of("b0.attn", "b0.ffn", "b1.attn", "b1.ffn", "b2.attn", "b2.ffn");
    private static final long[] SIZES = {10, 30, 10, 30, 10, 30};

    /** A score that is the objective of the removed set; it records the sets it was asked for. */
    private static final class Objective extends Scorer {
        final ToDoubleFunction<boolean[]> f;
        final List<boolean[]> asked = new ArrayList<>();
        final List<boolean[]> committed = new ArrayList<>();

        Objective(ToDoubleFunction<boolean[]> f) {
            this.f = f;
        }

        @Override
        protected double measure(boolean[] removed, double bound) {
            asked.add(removed.clone());
            return f.applyAsDouble(removed);
        }

        @Override
        void commit(boolean[] removed) {
            committed.add(removed.clone());
        }
    }

    /** Each candidate's own cost, summed over the removed ones. */
    private static ToDoubleFunction<boolean[]> additive(double... cost) {
        return r -> {
            double s = 0;
            for (int i = 0; i < r.length; i++) if (r[i]) s += cost[i];
            return s;
        };
    }

    private static Selector selector(Scorer s, Selector.Goal goal, boolean bound) {
        return new Selector(s, IDS, SIZES, goal, Progress.NONE, bound);
    }

    @Test
    void greedyRemovesTheCheapestCandidateEachStepAndCommitsIt() {
        Objective o = new Objective(additive(5, 3, 1, 4, 2, 6));
        Selector s = selector(o, Selector.Goal.count(3), false);
        s.greedySublayers();
        assertEquals(List.of("b1.attn", "b2.attn", "b0.ffn"), s.removedIds());
        assertEquals(List.of(1.0, 3.0, 6.0), s.scores());
        assertEquals(6 + 5 + 4, o.evaluations(), "every remaining candidate once per step");
        assertEquals(3, o.committed.size());
    }

    @Test
    void aTieGoesToTheEarlierCandidateWithOrWithoutTheBound() {
        for (boolean bound : new boolean[] {false, true}) {
            Selector s = selector(new Objective(additive(5, 2, 9, 2, 7, 8)), Selector.Goal.count(1), bound);
            s.greedySublayers();
            assertEquals(List.of("b0.ffn"), s.removedIds(), "bound=" + bound);
        }
    }

    @Test
    void theBoundTriesLastStepsBestFirstAndChoosesTheSame() {
        // Pairs interact, so the order of steps matters; the bound must not change any choice.
        ToDoubleFunction<boolean[]> f = r -> additive(5, 3, 1, 4, 2, 6).applyAsDouble(r) + (r[1] && r[4] ? -2.5 : 0);
        Selector plain = selector(new Objective(f), Selector.Goal.count(4), false);
        plain.greedySublayers();
        Objective bounded = new Objective(f);
        Selector fast = selector(bounded, Selector.Goal.count(4), true);
        fast.greedySublayers();
        assertEquals(plain.removedIds(), fast.removedIds());
        assertEquals(plain.scores(), fast.scores());
        // Step 2 starts with step 1's runner-up (b2.attn) removed on top of b1.attn.
        boolean[] second = bounded.asked.get(6);
        assertTrue(second[2] && second[4], "step 2 tried the runner-up first");
    }

    @Test
    void swapFindsThePairGreedyMisses() {
        // Alone, b0.attn is cheapest; together, b0.ffn and b1.attn cost far less than any pair with b0.attn.
        ToDoubleFunction<boolean[]> f = r -> r[1] && r[2] ? 0.5 : additive(1, 2, 2.5, 3, 4, 5).applyAsDouble(r);
        Objective o = new Objective(f);
        Selector s = selector(o, Selector.Goal.count(2), false);
        s.greedySublayers();
        assertEquals(List.of("b0.attn", "b0.ffn"), s.removedIds());
        Selector.Refinement r = s.swap(100);
        assertEquals(3.0, r.before());
        assertEquals(0.5, r.after());
        assertEquals(List.of("b0.attn->b1.attn"), r.swaps());
        assertEquals(List.of("b1.attn", "b0.ffn"), s.removedIds());
        // One round finds the exchange, a second finds nothing better: 2 x (2 removed x 4 kept) scores.
        assertEquals(16, r.evaluations());
    }

    @Test
    void swapStopsAtItsBudget() {
        // The exchange that pays (b0.attn for b2.ffn) is the fourth one tried.
        ToDoubleFunction<boolean[]> f = r -> r[1] && r[5] ? 0.5 : additive(1, 2, 2.5, 3, 4, 5).applyAsDouble(r);
        for (int budget : new int[] {3, 4}) {
            Selector s = selector(new Objective(f), Selector.Goal.count(2), false);
            s.greedySublayers();
            Selector.Refinement r = s.swap(budget);
            assertEquals(budget, r.evaluations());
            assertEquals(budget == 3 ? List.of() : List.of("b0.attn->b2.ffn"), r.swaps());
        }
    }

    @Test
    void aParameterGoalRemovesUntilEnoughParametersAreGone() {
        Selector s = selector(new Objective(additive(1, 2, 3, 4, 5, 6)), Selector.Goal.parameters(45), false);
        s.greedySublayers();
        // b0.attn (10), b0.ffn (30): 40 < 45; b1.attn (10) makes 50.
        assertEquals(List.of("b0.attn", "b0.ffn", "b1.attn"), s.removedIds());
    }

    @Test
    void swapKeepsTheParameterGoal() {
        // Exchanging an FFN (30) for an attention (10) would be cheaper but would miss the goal of 40.
        Selector s = selector(new Objective(additive(1, 2, 0.5, 9, 9, 9)), Selector.Goal.parameters(40), false);
        s.greedySublayers();
        assertEquals(List.of("b1.attn", "b0.attn", "b0.ffn"), s.removedIds());
        Selector.Refinement r = s.swap(100);
        assertEquals(List.of(), r.swaps());
    }

    @Test
    void blocksGoWholeWhileTheyFitThenSingleSublayers() {
        Objective o = new Objective(additive(5, 3, 1, 4, 2, 6));
        Selector s = selector(o, Selector.Goal.count(3), false);
        s.greedyBlocks(List.of(new int[] {0, 1}, new int[] {2, 3}, new int[] {4, 5}));
        // Blocks cost 8, 5, 8: b1 goes whole; then the cheapest single left is b2.attn.
        assertEquals(List.of("b1.attn", "b1.ffn", "b2.attn"), s.removedIds());
        assertEquals(List.of(5.0, 5.0, 7.0), s.scores());
    }

    @Test
    void reverseTakesTheLastCandidatesBeforeTheFinalBlock() {
        boolean[] before = {true, true, true, true, false, false};
        Selector s = selector(new Objective(additive(1, 1, 1, 1, 1, 1)), Selector.Goal.count(3), false);
        s.reverse(before);
        assertEquals(List.of("b1.ffn", "b1.attn", "b0.ffn"), s.removedIds());
        Selector t = selector(new Objective(additive(1, 1, 1, 1, 1, 1)), Selector.Goal.count(5), false);
        PassException e = assertThrows(PassException.class, () -> t.reverse(before));
        assertTrue(e.getMessage().contains("only 4 candidates lie before the final block"), e.getMessage());
    }
}

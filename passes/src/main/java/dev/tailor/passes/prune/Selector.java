package dev.tailor.passes.prune;

import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The selection strategies over a {@link Scorer}: which candidates go, in order, and the score after each removal.
 * Each committed removal is passed to the scorer, so that a caching scorer scores the next step as changes to it.
 */
final class Selector {
    /**
     * When to stop: after {@code count} removals, or (with {@code count} negative) once the removed sublayers hold
     * at least {@code parameters} parameters.
     */
    record Goal(int count, long parameters) {
        static Goal count(int n) {
            return new Goal(n, 0);
        }

        static Goal parameters(long n) {
            return new Goal(-1, n);
        }

        boolean byCount() {
            return count >= 0;
        }
    }

    /** What {@code refine=swap} did: the score before and after, and the exchanges made ({@code removed→kept}). */
    record Refinement(double before, double after, List<String> swaps, int evaluations) {}

    private final Scorer scorer;
    private final List<String> ids;
    private final long[] sizes;
    private final Goal goal;
    private final Progress progress;
    private final boolean[] removed;
    private final List<Integer> order = new ArrayList<>();
    private final List<Double> scores = new ArrayList<>();
    private long removedParameters;
    private final boolean bound;
    /** Each candidate's score in the last greedy step, to try the likely winners first (NaN: not scored yet). */
    private final double[] lastScores;

    /**
     * @param ids   the candidates' ids, in stream order
     * @param sizes the parameters each candidate's removal takes out of the model
     * @param bound stop scoring a set once it cannot beat the best so far (the selection is the same)
     */
    Selector(Scorer scorer, List<String> ids, long[] sizes, Goal goal, Progress progress, boolean bound) {
        this.scorer = scorer;
        this.bound = bound;
        this.lastScores = new double[ids.size()];
        Arrays.fill(lastScores, Double.NaN);
        this.ids = ids;
        this.sizes = sizes;
        this.goal = goal;
        this.progress = progress;
        this.removed = new boolean[ids.size()];
    }

    /** The removed candidates' ids, in the order they were chosen (an exchange takes the place of what it replaced). */
    List<String> removedIds() {
        return order.stream().map(ids::get).toList();
    }

    /** The score after each removal. */
    List<Double> scores() {
        return scores;
    }

    private boolean reached() {
        return goal.byCount() ? order.size() >= goal.count() : removedParameters >= goal.parameters();
    }

    private int room() {
        return goal.count() - order.size();
    }

    /** Removes {@code group} (one candidate, or a block's), each scored {@code score}, and commits once. */
    private void remove(int[] group, double score) {
        for (int i : group) {
            removed[i] = true;
            order.add(i);
            scores.add(score);
            removedParameters += sizes[i];
        }
        scorer.commit(removed);
    }

    private double scoreWith(int[] extra) {
        for (int i : extra) removed[i] = true;
        try {
            return scorer.score(removed);
        } finally {
            for (int i : extra) removed[i] = false;
        }
    }

    /**
     * FinerCut: per step, score every remaining candidate with the earlier removals applied; remove the best
     * (the lowest score, the earlier candidate on a tie). With the bound, the candidates go in the order of their
     * last step's scores (the first step: last candidate first, whose runs are the shortest), so that a low bound
     * comes early.
     */
    void greedySublayers() {
        while (!reached()) {
            List<Integer> left = new ArrayList<>();
            for (int i = removed.length - 1; i >= 0; i--) if (!removed[i]) left.add(i);
            if (left.isEmpty()) throw new IllegalStateException("no candidate left before the goal " + goal);
            if (bound) left.sort(Comparator.comparingDouble(i -> Double.isNaN(lastScores[i]) ? 0 : lastScores[i]));
            progress.begin(step() + ": scoring candidates", left.size());
            int best = -1;
            double bestScore = Double.POSITIVE_INFINITY;
            int k = 0;
            for (int i : left) {
                double s = scoreWith(i, bound ? bestScore : Double.POSITIVE_INFINITY);
                lastScores[i] = s;
                if (s < bestScore || (s == bestScore && i < best)) {
                    bestScore = s;
                    best = i;
                }
                progress.update(++k);
            }
            progress.end();
            remove(new int[] {best}, bestScore);
        }
    }

    private double scoreWith(int i, double limit) {
        removed[i] = true;
        try {
            return scorer.score(removed, limit);
        } finally {
            removed[i] = false;
        }
    }

    private String step() {
        return "prune step " + (order.size() + 1) + (goal.byCount() ? "/" + goal.count() : "");
    }

    /** Greedy over whole blocks while one fits the count; the rest as single sublayers, greedy. */
    void greedyBlocks(List<int[]> groups) {
        List<int[]> left = new ArrayList<>(groups);
        while (true) {
            int room = room();
            List<int[]> fit = left.stream().filter(gr -> gr.length <= room).toList();
            if (fit.isEmpty()) break;
            progress.begin(step() + ": scoring blocks", fit.size());
            int[] best = null;
            double bestScore = Double.POSITIVE_INFINITY;
            int k = 0;
            for (int[] gr : fit) {
                double s = scoreWith(gr);
                if (s < bestScore) {
                    bestScore = s;
                    best = gr;
                }
                progress.update(++k);
            }
            progress.end();
            remove(best, bestScore);
            left.remove(best);
        }
        greedySublayers();
    }

    /**
     * ShortGPT: blocks by influence 1 − cos(input, output) on the reference run, lowest first; the rest by sublayer
     * influence. {@code streams[i]} holds candidate i's stream value names before and after it.
     */
    void shortgpt(List<int[]> groups, Reference reference, String[][] streams) {
        double[] blockInfluence = new double[groups.size()];
        for (int gi = 0; gi < groups.size(); gi++) {
            int[] gr = groups.get(gi);
            blockInfluence[gi] = reference.influence(streams[gr[0]][0], streams[gr[gr.length - 1]][1]);
        }
        for (int gi : ascending(blockInfluence)) {
            int[] gr = groups.get(gi);
            if (gr.length > room()) continue;
            for (int i : gr) oneShot(i);
        }
        double[] sub = new double[removed.length];
        for (int i = 0; i < sub.length; i++) sub[i] = reference.influence(streams[i][0], streams[i][1]);
        for (int i : ascending(sub)) if (!reached() && !removed[i]) oneShot(i);
    }

    private static Integer[] ascending(double[] keys) {
        Integer[] idx = new Integer[keys.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.comparingDouble(i -> keys[i]));
        return idx;
    }

    /** Reverse order: the candidates before the final block, last first. */
    void reverse(boolean[] beforeFinalBlock) {
        for (int i = removed.length - 1; i >= 0 && !reached(); i--) if (beforeFinalBlock[i]) oneShot(i);
        if (!reached())
            throw new PassException("prune", "reverse: only " + order.size() + " candidates lie before the final "
                    + "block; lower count or ratio");
    }

    private void oneShot(int i) {
        int[] one = {i};
        remove(one, scoreWith(one));
    }

    /**
     * Local search after the selection: tries exchanging each removed candidate for each kept one, takes the
     * exchange that lowers the score most, and repeats until none does or {@code budget} scores are spent. With a
     * parameter goal, only exchanges that still meet it are tried.
     */
    Refinement swap(int budget) {
        double before = scores.isEmpty() ? 0 : scores.get(scores.size() - 1);
        double score = before;
        List<String> swaps = new ArrayList<>();
        int used = 0;
        while (used < budget) {
            int bestOut = -1, bestIn = -1;
            double bestScore = score;
            progress.begin("prune refine: exchange " + (swaps.size() + 1), Math.min(budget - used, pairs()));
            int k = 0;
            for (int r : List.copyOf(order)) {
                for (int in = 0; in < removed.length && used < budget; in++) {
                    if (removed[in]) continue;
                    if (!goal.byCount() && removedParameters - sizes[r] + sizes[in] < goal.parameters()) continue;
                    removed[r] = false;
                    removed[in] = true;
                    double s = scorer.score(removed, bound ? bestScore : Double.POSITIVE_INFINITY);
                    removed[in] = false;
                    removed[r] = true;
                    used++;
                    progress.update(++k);
                    if (s < bestScore) {
                        bestScore = s;
                        bestOut = r;
                        bestIn = in;
                    }
                }
            }
            progress.end();
            if (bestOut < 0) break;
            removed[bestOut] = false;
            removed[bestIn] = true;
            order.set(order.indexOf(bestOut), bestIn);
            removedParameters += sizes[bestIn] - sizes[bestOut];
            scorer.commit(removed);
            swaps.add(ids.get(bestOut) + "->" + ids.get(bestIn));
            score = bestScore;
        }
        return new Refinement(before, score, swaps, used);
    }

    private int pairs() {
        return order.size() * (removed.length - order.size());
    }
}

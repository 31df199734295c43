package dev.tailor.passes.prune;

import dev.tailor.compiler.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tailor's design: the sublayers before the first one a set changes compute exactly what they compute in the
 * current selection, so their result is cached and only the rest of the model runs.
 *
 * <p>For every candidate {@code k} it caches, per calibration batch, the current selection's residual stream at
 * the add: {@code stream_k}, the add's stream input, and {@code sum_k}, its output. A set whose first change from
 * the current selection is removing {@code m} runs the {@link Segments} after {@code m}, fed {@code stream_m} as
 * {@code sum_m}; one whose first change restores {@code m} runs from {@code m}, fed the cached sum before it (the
 * whole chain when {@code m} is the first). The later stream values come out of the segments on the way; those of
 * the best set scored since the last commit are kept, so that committing the selection the search chose runs
 * nothing, and a commit is applied only when the next set is scored (the search's last one never is).
 */
final class CachedScorer extends ModelScorer {
    private final GatedModel gated;
    private final Segments segments;
    private final List<Residual> residuals;
    /** Per batch: the current selection's stream values by name (stream_k and sum_k of every candidate). */
    private List<Map<String, Tensor>> cache = new ArrayList<>();
    private final boolean[] current;
    /** The names of every candidate's stream input and sum: what the cache holds. */
    private final Set<String> streamNames;
    /** Keeping a set's stream values costs this many bytes; beyond {@link #KEEP_LIMIT} a commit reruns instead. */
    private final long streamBytes;
    private static final long KEEP_LIMIT = Runtime.getRuntime().maxMemory() / 8;

    /** The set being measured and, per batch run so far, the cache it would leave. */
    private boolean[] measuring;
    private List<Map<String, Tensor>> pending;
    /** The best complete set since the last commit and the cache it leaves. */
    private boolean[] bestSet;
    private double bestScore;
    private List<Map<String, Tensor>> bestCache;
    /** The selection committed but not yet applied. */
    private boolean[] toCommit;

    CachedScorer(Reference reference, GatedModel gated, Segments segments) {
        super(reference);
        this.gated = gated;
        this.segments = segments;
        this.residuals = gated.residuals();
        this.current = new boolean[residuals.size()];
        this.streamNames = new HashSet<>(streamValues(residuals));
        long bytes = 0;
        for (int b = 0; b < reference.batchCount(); b++) {
            Map<String, Tensor> m = new HashMap<>();
            for (String name : streamNames) {
                Tensor t = reference.value(b, name);
                m.put(name, t);
                bytes += t.dataType().byteSize(t.elementCount());
            }
            cache.add(m);
        }
        this.streamBytes = bytes;
    }

    /** The stream values of every candidate, which the reference run must provide. */
    static List<String> streamValues(List<Residual> residuals) {
        List<String> names = new ArrayList<>();
        for (Residual r : residuals) {
            names.add(r.stream());
            names.add(r.sum());
        }
        return names;
    }

    /** Where a set's run starts: the first segment run, and the cached value fed as the sum before it. */
    private record Start(int from, String fedFrom) {}

    private Start start(boolean[] removed) {
        int n = removed.length;
        int m = 0;
        while (m < n && removed[m] == current[m]) m++;
        if (m == n) return new Start(n, residuals.get(n - 1).sum());
        if (removed[m]) return new Start(m + 1, residuals.get(m).stream());
        return new Start(m, m == 0 ? null : residuals.get(m - 1).sum());
    }

    @Override
    protected void begin(boolean[] removed) {
        applyCommit();
        measuring = removed.clone();
        pending = new ArrayList<>();
    }

    @Override
    protected Tensor run(int batch, boolean[] removed) {
        Map<String, Tensor> out = runFrom(batch, removed, start(removed));
        if (streamBytes <= KEEP_LIMIT) pending.add(out);
        return out.get(reference.output());
    }

    /** Runs batch {@code batch} of {@code removed} from {@code s}: the scored output and the cache it leaves. */
    private Map<String, Tensor> runFrom(int batch, boolean[] removed, Start s) {
        Map<String, Tensor> feed = gated.feed(reference.batch(batch), removed);
        Map<String, Tensor> out = new HashMap<>(cache.get(batch));
        if (s.fedFrom != null) {
            String fedAs = residuals.get(s.from - 1).sum();
            Tensor fed = out.get(s.fedFrom);
            feed.put(fedAs, fed);
            out.put(fedAs, fed);
        }
        out.putAll(segments.run(s.from, removed, feed));
        return out;
    }

    @Override
    protected void end(double score, boolean complete) {
        if (complete && pending.size() == reference.batchCount() && (bestSet == null || score < bestScore)) {
            bestSet = measuring;
            bestScore = score;
            bestCache = pending;
        }
        pending = null;
    }

    @Override
    void commit(boolean[] removed) {
        toCommit = removed.clone();
    }

    private void applyCommit() {
        if (toCommit == null) return;
        boolean[] removed = toCommit;
        toCommit = null;
        List<Map<String, Tensor>> next;
        if (bestSet != null && Arrays.equals(bestSet, removed)) {
            next = bestCache;
        } else {
            next = new ArrayList<>();
            Start s = start(removed);
            for (int b = 0; b < reference.batchCount(); b++) next.add(runFrom(b, removed, s));
        }
        for (Map<String, Tensor> m : next) m.keySet().retainAll(streamNames);
        cache = next;
        bestSet = null;
        bestCache = null;
        System.arraycopy(removed, 0, current, 0, removed.length);
    }
}

package dev.tailor.passes.adapter;

import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.ir.Value;
import dev.tailor.passes.graft.Graft;
import java.util.Random;

/** The adapter module, {@code up(act(down(x) + down_bias)) + up_bias}, grafted onto one sublayer. */
final class Bottleneck {
    private Bottleneck() {}

    /** Row-major weights in ONNX's layout: down {@code [hidden, size]}, up {@code [size, hidden]}. */
    record Weights(long hidden, long size, float[] down, float[] downBias, float[] up, float[] upBias) {
        /** Down uniform in ±1/sqrt(hidden) (a linear layer's default), everything else zero: a no-op adapter. */
        static Weights initial(long hidden, long size, Random random) {
            float[] down = new float[(int) (hidden * size)];
            double bound = 1 / Math.sqrt(hidden);
            for (int i = 0; i < down.length; i++) down[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            return new Weights(hidden, size, down, new float[(int) size], new float[(int) (size * hidden)],
                    new float[(int) hidden]);
        }
    }

    /**
     * Sequential: the residual add reads {@code h + adapter(h)} instead of the branch output h. Parallel: it reads
     * {@code h + scaling · adapter(branch input)}.
     */
    static void insert(Graft graft, Sublayer s, boolean parallel, Activation act, float scaling, Weights w) {
        String site = s.id() + ".adapter";
        Value h = s.branchOut();
        Value x = parallel ? s.branchIn() : h;
        Value down = graft.weight(site + ".down", new long[] {w.hidden(), w.size()}, w.down());
        Value downBias = graft.weight(site + ".down_bias", new long[] {w.size()}, w.downBias());
        Value up = graft.weight(site + ".up", new long[] {w.size(), w.hidden()}, w.up());
        Value upBias = graft.weight(site + ".up_bias", new long[] {w.hidden()}, w.upBias());
        Graft.Cursor c = graft.after(h.producer());
        Value mid = act.apply(graft, c, site, c.op(site, "Add", c.op(site, "MatMul", x, down), downBias));
        Value out = c.op(site, "Add", c.op(site, "MatMul", mid, up), upBias);
        if (parallel && scaling != 1) out = c.op(site, "Mul", out, graft.scalar(site + ".scaling", scaling));
        Value sum = c.op(site, "Add", h, out);
        // Only the residual connection reads the new sum: the adapter itself (and any other reader) keeps h.
        s.residual().setInput(s.residual().inputs().indexOf(h), sum);
    }
}

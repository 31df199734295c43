package dev.tailor.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tailor.compiler.anatomy.Anatomy;
import dev.tailor.compiler.anatomy.Sublayer;
import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.ir.Node;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.pass.PassContext;
import dev.tailor.compiler.pass.PassManager;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.testdata.ExportedModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The block map follows sublayers through the node match: a removed FFN shows as REMOVED, the rest KEPT. */
class BlockMapTest {

    @Test
    void aRemovedSublayerShowsInTheBlockMap() {
        Model before = OnnxReader.read(ExportedModels.file("bert_tiny"));
        Model after = OnnxReader.read(ExportedModels.file("bert_tiny"));
        Sublayer ffn = Anatomy.of(after).sublayer("b1.ffn");
        Node add = ffn.residual();
        add.output(0).replaceAllUsesWith(ffn.streamIn()); // the branch contributes nothing
        new PassManager(true).run(after, new PipelineParser(PassRegistry.load()).parse("dce"), PassContext.basic());

        DiffReport r = GraphDiff.compare("before", before, "after", after);
        BlockMap map = r.blockMap();
        assertNotNull(map);
        assertEquals(2, map.blocks().size());
        List<BlockMap.Status> b0 = map.blocks().get(0).sublayers().stream().map(BlockMap.Sublayer::status).toList();
        List<BlockMap.Status> b1 = map.blocks().get(1).sublayers().stream().map(BlockMap.Sublayer::status).toList();
        assertEquals(List.of(BlockMap.Status.KEPT, BlockMap.Status.KEPT), b0);
        assertEquals(List.of(BlockMap.Status.KEPT, BlockMap.Status.REMOVED), b1);
        assertEquals("b1.ffn removed", map.blocks().get(1).sublayers().get(1).detail());
    }

    @Test
    void aMacaronFrontFfnShowsBeforeTheAttention() {
        Model before = OnnxReader.read(ExportedModels.file("bert_tiny"));
        Model after = OnnxReader.read(ExportedModels.file("bert_tiny"));
        new PassManager(true).run(after, new PipelineParser(PassRegistry.load()).parse("macaron(mode=exact)"),
                PassContext.basic());

        BlockMap map = GraphDiff.compare("before", before, "after", after).blockMap();
        for (BlockMap.Block b : map.blocks()) {
            assertEquals(List.of("ffn", "attn", "ffn"), b.sublayers().stream().map(BlockMap.Sublayer::kind).toList());
            assertEquals(List.of(BlockMap.Status.ADDED, BlockMap.Status.KEPT, BlockMap.Status.KEPT),
                    b.sublayers().stream().map(BlockMap.Sublayer::status).toList());
            assertEquals("b" + b.index() + ".ffn_front added", b.sublayers().get(0).detail());
        }
    }
}

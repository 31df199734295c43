package dev.tailor.compiler.text;

import dev.tailor.compiler.onnx.ConformanceRoundTripTest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Model;
import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.onnx.ProtoDiff;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every model of the ONNX conformance data (Debian's libonnx-testdata) goes binary → IR → text → IR → binary and
 * must come back equal to the original field by field: once with every tensor in the text, once with every
 * tensor that holds any data left out of the text, in its side file.
 */
class ConformanceTextRoundTripTest {
    static final Path DATA = ConformanceRoundTripTest.DATA;

    @TempDir
    Path dir;


    @Test
    void everyModelRoundTripsThroughTextWithTensorsInline() throws Exception {
        List<Path> models = ConformanceRoundTripTest.conformanceModels();
        List<String> failures = new ArrayList<>();
        long chars = 0;
        int annotated = 0;
        for (Path p : models) {
            ModelProto original = ModelProto.parseFrom(Files.readAllBytes(p));
            String text = null;
            try {
                TextWriter.Printed printed = TextWriter.print(OnnxWriter.toMessages(OnnxReader.read(p)));
                text = printed.text();
                chars += text.length();
                if (printed.annotationLines() > 0) annotated++;
                Model back = TextReader.read(text);
                String diff = ProtoDiff.firstDifference(original, OnnxWriter.toProto(back));
                if (diff != null) failures.add(DATA.relativize(p) + ": " + diff);
            } catch (RuntimeException e) {
                failures.add(DATA.relativize(p) + ": " + e.getMessage().lines().findFirst().orElse("")
                        + (text != null && failures.isEmpty() ? "\n" + text : ""));
            }
        }
        System.out.printf("text round trip (inline): %d models, %d equal field by field, %d with annotations, "
                + "%.1f MB of text%n", models.size(), models.size() - failures.size(), annotated, chars / 1e6);
        assertEquals(1072, models.size(), "expected the 1,072 conformance models of libonnx-testdata");
        assertEquals(List.of(), failures.subList(0, Math.min(20, failures.size())), failures.size() + " models differ");
    }

    @Test
    void everyModelRoundTripsThroughTextWithTensorsInASideFile() throws Exception {
        List<Path> models = ConformanceRoundTripTest.conformanceModels();
        List<String> failures = new ArrayList<>();
        int withSideFile = 0;
        int outOfLine = 0;
        for (int i = 0; i < models.size(); i++) {
            Path p = models.get(i);
            ModelProto original = ModelProto.parseFrom(Files.readAllBytes(p));
            Path text = dir.resolve("m" + i + ".onnxtxt");
            try {
                TextWriter.Result r = TextWriter.write(OnnxReader.read(p), text, new TextWriter.Options(0L, null));
                if (r.dataFile() != null) withSideFile++;
                outOfLine += r.outOfLineTensors();
                Model back = TextReader.read(text);
                String diff = ProtoDiff.firstDifference(original, OnnxWriter.toProto(back));
                if (diff != null) failures.add(DATA.relativize(p) + ": " + diff);
            } catch (RuntimeException e) {
                failures.add(DATA.relativize(p) + ": " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        System.out.printf("text round trip (every tensor with data in the side file): %d models, %d equal field "
                + "by field, %d with a side file holding %d tensors%n", models.size(), models.size() - failures.size(),
                withSideFile, outOfLine);
        assertEquals(List.of(), failures.subList(0, Math.min(20, failures.size())), failures.size() + " models differ");
        assertTrue(withSideFile >= 150, "models with a side file: " + withSideFile);
    }
}

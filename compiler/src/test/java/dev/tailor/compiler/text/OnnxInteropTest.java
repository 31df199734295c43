package dev.tailor.compiler.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.onnx.OnnxReader;
import dev.tailor.compiler.onnx.OnnxWriter;
import dev.tailor.compiler.onnx.ProtoDiff;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tailor's text against onnx's own parser (Debian's python3-onnx, onnx 1.12). Every conformance model is printed;
 * the texts within onnx 1.12's syntax (the printer reports the constructs it used beyond it) must parse in python,
 * and python's model must equal, field by field, the model Tailor reads from the same text when it ignores its
 * annotations, as onnx does. Where a text has no annotation at all, python's model must equal the original; where
 * it has some, python's model must differ from the original (so the comparison sees what they carry).
 */
class OnnxInteropTest {
    @TempDir
    Path dir;

    @Test
    void textsWithinOnnx112ParseInPythonIntoTheSameModel() throws Exception {
        List<Path> models = dev.tailor.compiler.onnx.ConformanceRoundTripTest.conformanceModels();
        Map<String, String> texts = new LinkedHashMap<>();
        Map<String, TextWriter.Printed> printed = new LinkedHashMap<>();
        Map<String, ModelProto> originals = new LinkedHashMap<>();
        for (Path p : models) {
            String name = ConformanceTextRoundTripTest.DATA.relativize(p.getParent()).toString();
            ModelProto original = ModelProto.parseFrom(Files.readAllBytes(p));
            TextWriter.Printed pr = TextWriter.print(OnnxWriter.toMessages(OnnxReader.read(p)));
            originals.put(name, original);
            printed.put(name, pr);
            texts.put(name, pr.text());
        }
        Map<String, PythonOnnx.Parsed> python = PythonOnnx.parseAll(texts, dir);

        List<String> failures = new ArrayList<>();
        Map<Construct, Integer> excluded = new EnumMap<>(Construct.class);
        int within = 0;
        int plain = 0;
        int outsideParsed = 0;
        int outsideEqual = 0;
        for (String name : texts.keySet()) {
            TextWriter.Printed pr = printed.get(name);
            PythonOnnx.Parsed q = python.get(name);
            ModelProto tailor = TextReader.parseAsOnnx(pr.text());
            if (pr.constructs().isEmpty()) {
                within++;
                if (q.model() == null) {
                    failures.add(name + ": python cannot parse it: " + q.error().lines().findFirst().orElse(""));
                    continue;
                }
                String diff = ProtoDiff.firstDifference(q.model(), tailor);
                if (diff != null) failures.add(name + ": python's model and Tailor's differ at " + diff);
                String d = ProtoDiff.firstDifference(originals.get(name), q.model());
                if (pr.annotationLines() == 0) {
                    plain++;
                    if (d != null) failures.add(name + ": without annotations, python's model differs from the "
                            + "original at " + d);
                } else if (d == null) {
                    // The comparison must see what the annotations add: python, which skips them, cannot have it.
                    failures.add(name + ": python's model equals the original although the text needed annotations");
                }
            } else {
                for (Construct c : pr.constructs()) excluded.merge(c, 1, Integer::sum);
                if (q.model() != null) {
                    outsideParsed++;
                    if (ProtoDiff.firstDifference(q.model(), tailor) == null) outsideEqual++;
                }
            }
        }
        System.out.printf("onnx 1.12 interop: %d of %d texts within its syntax, all parsed by python into the model "
                        + "Tailor reads (%d of them without annotations, equal to the original); excluded: %s; of the "
                        + "%d excluded, python still parses %d (%d into the same model)%n", within, texts.size(), plain,
                excluded, texts.size() - within, outsideParsed, outsideEqual);
        assertEquals(List.of(), failures.subList(0, Math.min(10, failures.size())), failures.size() + " failures");
        assertTrue(within >= 900, "the interop subset is " + within + " models");
    }
}

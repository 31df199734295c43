package dev.tailor.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.ir.Model;
import dev.tailor.onnx.proto.OnnxProto.ModelProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every model of the ONNX conformance data (Debian's libonnx-testdata) goes through the IR and back, and must
 * come out equal to the original field by field.
 */
public class ConformanceRoundTripTest {
    public static final Path DATA = Path.of("/usr/share/libonnx-testdata/data");
    static final List<String> SUITES = List.of("node", "simple", "pytorch-converted", "pytorch-operator");

    /** Every model.onnx of the four suites, sorted; fails when libonnx-testdata is missing. */
    public static List<Path> conformanceModels() throws IOException {
        assertTrue(Files.isDirectory(DATA), DATA + " is missing: install Debian's libonnx-testdata (.ci/run does)");
        List<Path> models = new ArrayList<>();
        for (String suite : SUITES) {
            try (Stream<Path> s = Files.walk(DATA.resolve(suite))) {
                s.filter(p -> p.getFileName().toString().equals("model.onnx")).sorted().forEach(models::add);
            }
        }
        return models;
    }

    @Test
    void everyConformanceModelRoundTripsFieldByField() throws Exception {
        List<Path> models = conformanceModels();
        List<String> failures = new ArrayList<>();
        for (Path p : models) {
            ModelProto original = ModelProto.parseFrom(Files.readAllBytes(p));
            Model model = OnnxReader.read(p);
            ModelProto emitted = ModelProto.parseFrom(OnnxWriter.toBytes(model));
            String diff = ProtoDiff.firstDifference(original, emitted);
            if (diff != null) failures.add(DATA.relativize(p) + ": " + diff);
        }
        System.out.printf("conformance round trip: %d models, %d equal field by field%n", models.size(),
                models.size() - failures.size());
        assertEquals(1072, models.size(), "expected the 1,072 conformance models of libonnx-testdata");
        assertEquals(List.of(), failures.subList(0, Math.min(20, failures.size())), failures.size() + " models differ");
    }
}

package dev.tailor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
    @Test
    void plainLinesSayTheStartEachQuarterAndTheEnd() {
        StringWriter w = new StringWriter();
        ProgressLines p = new ProgressLines(new PrintWriter(w));
        p.begin("scoring", 8);
        for (int i = 1; i <= 8; i++) p.update(i);
        p.end();
        p.update(3); // after the end: nothing
        List<String> lines = w.toString().lines().toList();
        assertEquals(List.of("scoring (8) ...", "scoring: 2/8", "scoring: 4/8", "scoring: 6/8"), lines.subList(0, 4));
        assertTrue(lines.get(4).matches("scoring: done in \\d+\\.\\d s"), lines.get(4));
        assertEquals(5, lines.size());
    }

    @Test
    void theBarRedrawsOneLineAndLeavesASummary() {
        StringWriter w = new StringWriter();
        ProgressBar p = new ProgressBar(new PrintWriter(w));
        p.begin("scoring", 4);
        p.update(4);
        p.end();
        String s = w.toString();
        assertTrue(s.startsWith("\rscoring [" + " ".repeat(30) + "] 0/4 0 s\rscoring [" + "#".repeat(30) + "] 4/4 0 s\r"
                + "scoring: done in "), s);
        assertEquals(s.length() - 1, s.indexOf('\n'), "one line on the screen, ended once: " + s);
    }
}

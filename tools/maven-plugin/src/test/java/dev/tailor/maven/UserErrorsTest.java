package dev.tailor.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tailor.compiler.pass.PassException;
import dev.tailor.compiler.pass.PassRegistry;
import dev.tailor.compiler.pass.PipelineException;
import dev.tailor.compiler.pass.PipelineParser;
import dev.tailor.report.ReportFormat;
import dev.tailor.runtime.data.DataException;
import java.util.List;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;

class UserErrorsTest {

    @Test
    void mistakesInInputFailTheBuildAndBugsAreInternalErrors() {
        PipelineException typo = assertThrows(PipelineException.class,
                () -> new PipelineParser(PassRegistry.load()).parse("prune(ration=0.25)", "<pipeline>"));
        Exception e = UserErrors.translate(typo);
        assertInstanceOf(MojoFailureException.class, e);
        assertTrue(e.getMessage().startsWith("<pipeline>:1:7: unknown option 'ration' for prune; did you mean 'ratio'?"),
                e.getMessage());

        assertInstanceOf(MojoFailureException.class, UserErrors.translate(new DataException("data.npy: not an array")));
        assertInstanceOf(MojoFailureException.class, UserErrors.translate(new PassException("prune", "no blocks")));
        // A pass that crashed, or anything unexpected, is Tailor's fault: an execution error with the cause.
        Exception crash = UserErrors.translate(new PassException("prune", "failed", new IllegalStateException("bug")));
        assertInstanceOf(MojoExecutionException.class, crash);
        assertInstanceOf(MojoExecutionException.class, UserErrors.translate(new NullPointerException()));
        assertTrue(UserErrors.translate(new NullPointerException()).getMessage().startsWith("internal error in Tailor"));
    }

    @Test
    void parameterMessagesNameTheParameterItsPropertyAndAHint() {
        assertEquals("<target> (tailor.target): 'tpu' is not a target; use cpu or cuda",
                UserErrors.parameter("target", "'tpu' is not a target", "use cpu or cuda").getMessage());
    }

    @Test
    void reportFormatsAcceptListsCommasAndNone() throws Exception {
        assertEquals(List.of(ReportFormat.MARKDOWN, ReportFormat.HTML, ReportFormat.JSON),
                ReportFiles.check(List.of("markdown, html", "json", "md")).formats());
        assertEquals(List.of(), ReportFiles.check(List.of("none")).formats());
        MojoFailureException e = assertThrows(MojoFailureException.class, () -> ReportFiles.check(List.of("md,pdf")));
        assertEquals("<reportFormats> (tailor.reportFormats): unknown report format 'pdf'; use text, json, markdown "
                + "or html (or none)", e.getMessage());
    }
}

package dev.tailor.report;

import java.nio.file.Path;
import java.util.Locale;

/** The formats a {@link DiffReport} renders to. */
public enum ReportFormat {
    TEXT("txt"), JSON("json"), MARKDOWN("md"), HTML("html");

    private final String extension;

    ReportFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    public String render(DiffReport r) {
        return switch (this) {
            case TEXT -> TextRenderer.render(r);
            case JSON -> Json.write(JsonRenderer.toMap(r));
            case MARKDOWN -> MarkdownRenderer.render(r);
            case HTML -> HtmlRenderer.render(r);
        };
    }

    /** The format named {@code text}, {@code json}, {@code markdown} (or {@code md}) or {@code html}. */
    public static ReportFormat parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "text", "txt" -> TEXT;
            case "json" -> JSON;
            case "markdown", "md" -> MARKDOWN;
            case "html", "htm" -> HTML;
            default -> throw new IllegalArgumentException("unknown report format '" + name
                    + "' (formats: text, json, markdown, html)");
        };
    }

    /** The format for a file by its extension (.txt, .json, .md, .html), or null for any other name. */
    public static ReportFormat forFile(Path file) {
        String n = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        if (dot < 0) return null;
        try {
            return parse(n.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

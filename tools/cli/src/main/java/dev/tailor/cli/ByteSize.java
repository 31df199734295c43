package dev.tailor.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Parses sizes such as {@code 1024}, {@code 64K}, {@code 1MiB} or {@code 2G} (binary units) into bytes. */
final class ByteSize implements CommandLine.ITypeConverter<Long> {

    @Override
    public Long convert(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                default -> unit = 1;
            }
            if (unit > 1) s = s.substring(0, s.length() - 1);
        }
        try {
            long n = Long.parseLong(s.trim());
            if (n < 0) throw new CommandLine.TypeConversionException("'" + text + "' is negative");
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + text
                    + "' is not a size in bytes (examples: 1024, 64K, 1M, 2G)");
        }
    }

    /** A size for people: 90.4 MB. */
    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = -1;
        do {
            v /= 1024;
            i++;
        } while (v >= 1024 && i < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }
}

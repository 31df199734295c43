package dev.tailor.compiler.text;

import com.google.protobuf.ByteString;
import dev.tailor.compiler.ir.DataType;
import dev.tailor.onnx.proto.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * Where the values of each element type live in a TensorProto, and the conversions between those typed fields and
 * {@code raw_data}. The text writes the typed-field entries (what onnx's parser reads), so a tensor stored as
 * {@code raw_data} is written as the entries it decodes to: one per element, two per complex element, one per
 * byte for the packed 4- and 2-bit types; integers that are bit patterns (float16, bfloat16, float8) unsigned.
 */
final class TensorValues {
    private TensorValues() {}

    /** The typed field that holds a type's values. */
    enum Field { FLOAT, DOUBLE, INT32, INT64, UINT64, STRING }

    static Field field(DataType t) {
        return switch (t) {
            case FLOAT, COMPLEX64 -> Field.FLOAT;
            case DOUBLE, COMPLEX128 -> Field.DOUBLE;
            case INT64 -> Field.INT64;
            case UINT32, UINT64 -> Field.UINT64;
            case STRING -> Field.STRING;
            default -> Field.INT32;
        };
    }

    /** Number of typed-field entries for {@code elements} elements of {@code t}. */
    static long entries(DataType t, long elements) {
        return switch (t) {
            case COMPLEX64, COMPLEX128 -> 2 * elements;
            case UINT4, INT4, FLOAT4E2M1, UINT2, INT2 -> t.byteSize(elements);
            default -> elements;
        };
    }

    /** Entries present in the field that holds {@code t}'s values. */
    static int present(TensorProto p, DataType t) {
        return switch (field(t)) {
            case FLOAT -> p.getFloatDataCount();
            case DOUBLE -> p.getDoubleDataCount();
            case INT32 -> p.getInt32DataCount();
            case INT64 -> p.getInt64DataCount();
            case UINT64 -> p.getUint64DataCount();
            case STRING -> p.getStringDataCount();
        };
    }

    /** True when the tensor holds data in some field other than {@code keep} (raw_data counts as one). */
    static boolean hasDataBesides(TensorProto p, Field keep, boolean keepRaw) {
        return (!keepRaw && p.hasRawData())
                || keep != Field.FLOAT && p.getFloatDataCount() > 0
                || keep != Field.DOUBLE && p.getDoubleDataCount() > 0
                || keep != Field.INT32 && p.getInt32DataCount() > 0
                || keep != Field.INT64 && p.getInt64DataCount() > 0
                || keep != Field.UINT64 && p.getUint64DataCount() > 0
                || keep != Field.STRING && p.getStringDataCount() > 0;
    }

    /** Bytes per typed-field entry in raw form (packed types: one byte per entry). */
    static int entryBytes(DataType t) {
        return switch (t) {
            case FLOAT, COMPLEX64, INT32, UINT32 -> 4;
            case DOUBLE, COMPLEX128, INT64, UINT64 -> 8;
            case INT16, UINT16, FLOAT16, BFLOAT16 -> 2;
            default -> 1;
        };
    }

    /** Whether the raw form of {@code t}'s entries reads back as signed integers. */
    private static boolean signed(DataType t) {
        return t == DataType.INT8 || t == DataType.INT16 || t == DataType.INT32 || t == DataType.INT64;
    }

    // ---- raw bytes -> entries, for printing

    /** Appends the entries of raw little-endian {@code bytes} of type {@code t} as text, with the separator. */
    interface EntryPrinter {
        void entry(String text);
    }

    /** Prints the entries of raw {@code bytes}; returns false (printing nothing) if one cannot be printed exactly. */
    static boolean printRaw(ByteBuffer bytes, DataType t, EntryPrinter out, Set<Construct> used) {
        ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        Field f = field(t);
        if (f == Field.FLOAT) {
            for (int i = b.position(); i + 4 <= b.limit(); i += 4) if (!Numbers.printable(b.getFloat(i))) return false;
        } else if (f == Field.DOUBLE) {
            for (int i = b.position(); i + 8 <= b.limit(); i += 8) if (!Numbers.printable(b.getDouble(i))) return false;
        }
        int size = entryBytes(t);
        while (b.remaining() >= size) {
            switch (size) {
                case 8 -> {
                    if (f == Field.DOUBLE) out.entry(floating(b.getDouble(), used));
                    else if (t == DataType.UINT64) out.entry(Long.toUnsignedString(b.getLong()));
                    else out.entry(Long.toString(b.getLong()));
                }
                case 4 -> {
                    if (f == Field.FLOAT) out.entry(floating(b.getFloat(), used));
                    else if (t == DataType.UINT32) out.entry(Integer.toUnsignedString(b.getInt()));
                    else out.entry(Integer.toString(b.getInt()));
                }
                case 2 -> out.entry(Integer.toString(signed(t) ? b.getShort() : b.getShort() & 0xffff));
                default -> out.entry(Integer.toString(signed(t) ? b.get() : b.get() & 0xff));
            }
        }
        return true;
    }

    /** Prints the canonical typed field of {@code p}; false if an entry cannot be printed exactly. */
    static boolean printTyped(TensorProto p, DataType t, EntryPrinter out, Set<Construct> used) {
        switch (field(t)) {
            case FLOAT -> {
                for (int i = 0; i < p.getFloatDataCount(); i++) if (!Numbers.printable(p.getFloatData(i))) return false;
                for (int i = 0; i < p.getFloatDataCount(); i++) out.entry(floating(p.getFloatData(i), used));
            }
            case DOUBLE -> {
                for (int i = 0; i < p.getDoubleDataCount(); i++)
                    if (!Numbers.printable(p.getDoubleData(i))) return false;
                for (int i = 0; i < p.getDoubleDataCount(); i++) out.entry(floating(p.getDoubleData(i), used));
            }
            case INT32 -> {
                for (int i = 0; i < p.getInt32DataCount(); i++) out.entry(Integer.toString(p.getInt32Data(i)));
            }
            case INT64 -> {
                for (int i = 0; i < p.getInt64DataCount(); i++) out.entry(Long.toString(p.getInt64Data(i)));
            }
            case UINT64 -> {
                for (int i = 0; i < p.getUint64DataCount(); i++) out.entry(Long.toUnsignedString(p.getUint64Data(i)));
            }
            case STRING -> {
                for (int i = 0; i < p.getStringDataCount(); i++) {
                    String s = Syntax.printableUtf8(p.getStringData(i));
                    if (s == null) return false;
                }
                for (int i = 0; i < p.getStringDataCount(); i++) {
                    String s = p.getStringData(i).toStringUtf8();
                    if (Syntax.needsEscape(s)) used.add(Construct.STRING_ESCAPE);
                    out.entry(Syntax.quote(s));
                }
            }
        }
        return true;
    }

    private static String floating(float f, Set<Construct> used) {
        if (Float.isNaN(f) || Float.isInfinite(f)) used.add(Construct.SPECIAL_FLOAT);
        else if (Numbers.subnormal(f)) used.add(Construct.SUBNORMAL);
        return Numbers.formatFloat(f);
    }

    private static String floating(double d, Set<Construct> used) {
        if (Double.isNaN(d) || Double.isInfinite(d)) used.add(Construct.SPECIAL_FLOAT);
        else if (Numbers.subnormal(d)) used.add(Construct.SUBNORMAL);
        return Numbers.formatDouble(d);
    }

    // ---- typed fields -> raw bytes, for the side file and for `#!raw` on read

    /** The raw little-endian form of the tensor's canonical typed field. */
    static ByteBuffer typedToRaw(TensorProto p, DataType t) {
        int n = present(p, t);
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(n, entryBytes(t))).order(ByteOrder.LITTLE_ENDIAN);
        switch (field(t)) {
            case FLOAT -> p.getFloatDataList().forEach(b::putFloat);
            case DOUBLE -> p.getDoubleDataList().forEach(b::putDouble);
            case INT64 -> p.getInt64DataList().forEach(b::putLong);
            case UINT64 -> {
                if (t == DataType.UINT32) p.getUint64DataList().forEach(v -> b.putInt((int) (long) v));
                else p.getUint64DataList().forEach(b::putLong);
            }
            case INT32 -> {
                int size = entryBytes(t);
                for (int v : p.getInt32DataList()) {
                    if (size == 4) b.putInt(v);
                    else if (size == 2) b.putShort((short) v);
                    else b.put((byte) v);
                }
            }
            case STRING -> throw new IllegalArgumentException("string tensors have no raw form");
        }
        b.flip();
        return b;
    }

    /** Fills the canonical typed field of {@code into} from raw little-endian {@code bytes}. */
    static void rawToTyped(ByteBuffer bytes, DataType t, TensorProto.Builder into) {
        ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int size = entryBytes(t);
        Field f = field(t);
        while (b.remaining() >= size) {
            switch (f) {
                case FLOAT -> into.addFloatData(b.getFloat());
                case DOUBLE -> into.addDoubleData(b.getDouble());
                case INT64 -> into.addInt64Data(b.getLong());
                case UINT64 -> into.addUint64Data(t == DataType.UINT32 ? Integer.toUnsignedLong(b.getInt())
                        : b.getLong());
                case INT32 -> into.addInt32Data(size == 4 ? b.getInt()
                        : size == 2 ? (signed(t) ? b.getShort() : b.getShort() & 0xffff)
                        : (signed(t) ? b.get() : b.get() & 0xff));
                case STRING -> throw new IllegalArgumentException("string tensors have no raw form");
            }
        }
    }

    static ByteString wrap(ByteBuffer b) {
        return com.google.protobuf.UnsafeByteOperations.unsafeWrap(b);
    }
}

package clnet.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.internal.LazilyParsedNumber;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;

/**
 * Standard JSON (RFC 8259) and nothing more, for model-file headers: no comments, no single
 * quotes or unquoted names, no NaN or Infinity literals, no trailing content, and no
 * duplicate names in an object (Gson's own parser is lenient about all of these). Nesting
 * is limited, so a hostile header cannot exhaust the stack.
 */
final class StrictJson {
    /** Deeper than any clnet header (about 6 levels); refused before the stack is at risk. */
    static final int MAX_DEPTH = 64;

    /** Malformed JSON, with where it went wrong. */
    static final class Problem extends Exception {
        Problem(String message) {
            super(message);
        }
    }

    private StrictJson() {
    }

    static JsonElement parse(String json) throws Problem {
        try (JsonReader reader = new JsonReader(new StringReader(json))) {
            reader.setStrictness(Strictness.STRICT);
            JsonElement e = read(reader, 0);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new Problem("content after the JSON value at " + where(reader));
            }
            return e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new Problem(firstLine(e.getMessage()));
        }
    }

    private static JsonElement read(JsonReader in, int depth) throws IOException, Problem {
        if (depth > MAX_DEPTH) {
            throw new Problem("nested deeper than " + MAX_DEPTH + " levels at " + where(in));
        }
        switch (in.peek()) {
            case BEGIN_OBJECT -> {
                JsonObject o = new JsonObject();
                in.beginObject();
                while (in.hasNext()) {
                    String name = in.nextName();
                    if (o.has(name)) {
                        throw new Problem("duplicate name \"" + name + "\" at " + where(in));
                    }
                    o.add(name, read(in, depth + 1));
                }
                in.endObject();
                return o;
            }
            case BEGIN_ARRAY -> {
                JsonArray a = new JsonArray();
                in.beginArray();
                while (in.hasNext()) {
                    a.add(read(in, depth + 1));
                }
                in.endArray();
                return a;
            }
            case STRING -> {
                return new JsonPrimitive(in.nextString());
            }
            case NUMBER -> {
                return new JsonPrimitive(new LazilyParsedNumber(in.nextString()));
            }
            case BOOLEAN -> {
                return new JsonPrimitive(in.nextBoolean());
            }
            case NULL -> {
                in.nextNull();
                return JsonNull.INSTANCE;
            }
            default -> throw new Problem("unexpected " + in.peek() + " at " + where(in));
        }
    }

    private static String where(JsonReader in) {
        String p = in.getPath();
        return p == null || p.isEmpty() ? "the top level" : p;
    }

    private static String firstLine(String m) {
        if (m == null) {
            return "malformed JSON";
        }
        int nl = m.indexOf('\n');
        // Gson's strict-mode advice is not the user's to take
        return (nl >= 0 ? m.substring(0, nl) : m)
                .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON")
                .strip();
    }
}

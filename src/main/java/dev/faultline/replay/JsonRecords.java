package dev.faultline.replay;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a file into JSON records, sniffing the container: a file whose first non-blank character is {@code [} is one
 * JSON array (as lm-evaluation-harness 0.4.0 to 0.4.2 wrote into {@code .jsonl} files), anything else is one object
 * per line. Each record keeps the line it starts on; a record that does not parse becomes an error at that line.
 */
final class JsonRecords {

    /** A parsed record, or the parse error, at a line. */
    record Raw(int line, JsonNode node, String error) {}

    private JsonRecords() {}

    static List<Raw> split(String content, ObjectMapper json) {
        int first = 0;
        while (first < content.length() && Character.isWhitespace(content.charAt(first))) {
            first++;
        }
        if (first < content.length() && content.charAt(first) == '[') {
            return array(content, json);
        }
        List<Raw> out = new ArrayList<>();
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                JsonNode node = json.readTree(line);
                out.add(node.isObject() ? new Raw(i + 1, node, null) : new Raw(i + 1, null, "not a JSON object"));
            } catch (JsonProcessingException e) {
                out.add(new Raw(i + 1, null, "invalid JSON: " + e.getOriginalMessage()));
            }
        }
        return out;
    }

    private static List<Raw> array(String content, ObjectMapper json) {
        List<Raw> out = new ArrayList<>();
        try (JsonParser parser = json.getFactory().createParser(content)) {
            parser.nextToken(); // START_ARRAY
            while (true) {
                JsonToken token;
                try {
                    token = parser.nextToken();
                } catch (JsonProcessingException e) {
                    out.add(new Raw(
                            e.getLocation() == null ? 0 : e.getLocation().getLineNr(),
                            null,
                            "invalid JSON, rest of the array skipped: " + e.getOriginalMessage()));
                    return out;
                }
                if (token == null) {
                    out.add(new Raw(parser.currentLocation().getLineNr(), null, "JSON array is not closed"));
                    return out;
                }
                if (token == JsonToken.END_ARRAY) {
                    return out;
                }
                int line = parser.currentTokenLocation().getLineNr();
                try {
                    JsonNode node = json.readTree(parser);
                    out.add(
                            node != null && node.isObject()
                                    ? new Raw(line, node, null)
                                    : new Raw(line, null, "array element is not a JSON object"));
                } catch (JsonProcessingException e) {
                    out.add(new Raw(line, null, "invalid JSON, rest of the array skipped: " + e.getOriginalMessage()));
                    return out;
                }
            }
        } catch (IOException e) {
            out.add(new Raw(1, null, "invalid JSON: " + e.getMessage()));
            return out;
        }
    }
}

package dev.faultline.prompt;

import dev.faultline.contract.EvalOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns an event's chat {@code messages} into the prompt text the model saw: rendered with the model's own
 * {@code chat_template} ({@code tokenizer_config.json} in the model folder; templates are compiled once per folder).
 * Segments naming a message ({@code message}: a role or a turn index) become the spans of those messages' contents
 * in the rendering; spans of the event's own {@code prompt} are placed where their text occurs in the rendering; an
 * event without segments gets one segment per role, so relevance is summed per role.
 * Thread-safe.
 */
public final class ChatPrompts {

    private final Map<Path, Optional<ChatTemplate>> templates = new ConcurrentHashMap<>();

    /** The chat template of a model folder. */
    public ChatTemplate template(Path modelDir) throws ChatTemplateException {
        Optional<ChatTemplate> t =
                templates.computeIfAbsent(modelDir.toAbsolutePath().normalize(), dir -> {
                    Path config = dir.resolve("tokenizer_config.json");
                    if (!Files.isRegularFile(config)) {
                        return Optional.empty();
                    }
                    try {
                        return Optional.ofNullable(ChatTemplate.fromTokenizerConfig(config));
                    } catch (IOException | RuntimeException e) {
                        return Optional.empty();
                    }
                });
        if (t.isEmpty()) {
            throw new ChatTemplateException(
                    "the model has no chat_template in " + modelDir.resolve("tokenizer_config.json")
                            + " to render the event's messages with",
                    null);
        }
        return t.get();
    }

    /** The event with {@code prompt} replaced by the rendered messages and its segments placed in that text. */
    public static EvalOutput render(EvalOutput event, ChatTemplate template) throws ChatTemplateException {
        List<Map<String, Object>> messages = event.messages();
        boolean generationPrompt = event.addGenerationPrompt() == null || event.addGenerationPrompt();
        String text = template.render(
                messages, generationPrompt, event.chatTemplateKwargs() == null ? Map.of() : event.chatTemplateKwargs());
        int[][] spans = contentSpans(text, messages);
        List<EvalOutput.Segment> segments = new ArrayList<>();
        if (event.segments() == null || event.segments().isEmpty()) {
            for (int i = 0; i < messages.size(); i++) {
                if (spans[i] != null) {
                    segments.add(new EvalOutput.Segment(role(messages.get(i)), spans[i][0], spans[i][1]));
                }
            }
        } else {
            for (EvalOutput.Segment s : event.segments()) {
                if (s.message() == null) {
                    EvalOutput.Segment placed = placeInRendering(s, event.prompt(), text);
                    if (placed != null) {
                        segments.add(placed);
                    }
                    continue;
                }
                for (int i = 0; i < messages.size(); i++) {
                    if (spans[i] != null && names(s.message(), i, messages.get(i))) {
                        segments.add(new EvalOutput.Segment(s.name(), spans[i][0], spans[i][1]));
                    }
                }
            }
        }
        return event.with(text, segments.isEmpty() ? null : segments, event.references());
    }

    /**
     * A character span of the event's own {@code prompt} (the flattened chat) placed where its text occurs in the
     * rendering (its last occurrence: the question comes after any examples); without a prompt, the span is taken as
     * one of the rendering. Null when the text does not occur there.
     */
    static EvalOutput.Segment placeInRendering(EvalOutput.Segment s, String prompt, String rendered) {
        if (prompt == null) {
            return s.end() <= rendered.length() ? s : null;
        }
        if (s.start() < 0 || s.end() > prompt.length() || s.start() >= s.end()) {
            return null;
        }
        String piece = prompt.substring(s.start(), s.end());
        int at = rendered.lastIndexOf(piece);
        return at < 0 ? null : new EvalOutput.Segment(s.name(), at, at + piece.length());
    }

    private static boolean names(String message, int index, Map<String, Object> m) {
        String ref = message.strip();
        if (ref.chars().allMatch(Character::isDigit) && !ref.isEmpty()) {
            return Integer.parseInt(ref) == index;
        }
        return ref.equals(role(m));
    }

    private static String role(Map<String, Object> m) {
        Object r = m.get("role");
        return r == null ? "message" : r.toString();
    }

    /**
     * Where each message's content lies in the rendering, searched in message order (a template may drop or rewrite
     * a content, e.g. reasoning in earlier assistant turns: then its stripped form is tried, else it has no span).
     */
    static int[][] contentSpans(String text, List<Map<String, Object>> messages) {
        int[][] spans = new int[messages.size()][];
        int cursor = 0;
        for (int i = 0; i < messages.size(); i++) {
            Object c = messages.get(i).get("content");
            if (!(c instanceof String content) || content.isEmpty()) {
                continue;
            }
            for (String probe : List.of(content, content.strip())) {
                int at = probe.isEmpty() ? -1 : text.indexOf(probe, cursor);
                if (at >= 0) {
                    spans[i] = new int[] {at, at + probe.length()};
                    cursor = at + probe.length();
                    break;
                }
            }
        }
        return spans;
    }
}

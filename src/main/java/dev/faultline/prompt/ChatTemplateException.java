package dev.faultline.prompt;

/** A chat template that could not render a conversation (a syntax error, or the template's own raise_exception). */
public final class ChatTemplateException extends Exception {

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.faultline.compare;

/** A model at one revision, written {@code model@revision} ({@code main} when the revision is left out). */
public record ModelRev(String model, String revision) {

    public static ModelRev parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty model (expected model@revision)");
        }
        String t = text.trim();
        int at = t.lastIndexOf('@');
        String model = at < 0 ? t : t.substring(0, at);
        String revision = at < 0 ? "main" : t.substring(at + 1);
        if (model.isBlank() || revision.isBlank()) {
            throw new IllegalArgumentException("'" + text + "' is not model@revision");
        }
        return new ModelRev(model, revision);
    }

    @Override
    public String toString() {
        return model + "@" + revision;
    }
}

package dev.faultline.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Redis keys of the result cache ({@link ResultCache}): {@value #ATTR_PREFIX}{@code <content key>} holds a
 * result's JSON, {@value #EVENT_PREFIX}{@code <event_id>} and {@value #INPUT_PREFIX}{@code <input key>} the Redis key
 * of the result for that event or input, {@value #RESULT_PREFIX}{@code <event_id>} a result stored under its event.
 */
public final class CacheKeys {

    public static final String ATTR_PREFIX = "faultline:attr:";
    public static final String EVENT_PREFIX = "faultline:event:";
    public static final String RESULT_PREFIX = "faultline:result:";
    public static final String INPUT_PREFIX = "faultline:input:";

    private CacheKeys() {}

    /** sha256 over everything that decides an attribution's content (docs/contract.md, the result), as lower-case hex. */
    public static String contentKey(
            String model,
            String revision,
            String rules,
            String softmax,
            String dtype,
            int[] ids,
            int position,
            int wrong,
            int contrast) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            StringBuilder sb = new StringBuilder();
            sb.append(model)
                    .append('\n')
                    .append(revision)
                    .append('\n')
                    .append(rules)
                    .append('\n')
                    .append(softmax)
                    .append('\n')
                    .append(dtype)
                    .append('\n');
            for (int id : ids) {
                sb.append(id).append(',');
            }
            sb.append('\n')
                    .append(position)
                    .append('\n')
                    .append(wrong)
                    .append('\n')
                    .append(contrast);
            return HexFormat.of().formatHex(md.digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

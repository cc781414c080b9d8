package dev.osprey.core.event;

/**
 * Sample ids become Kafka record keys (UTF-8) and must come back unchanged: every topic is keyed by
 * the id, so an id the UTF-8 encoder would alter (a lone surrogate turns into {@code ?}) would break
 * every join. Such ids are rejected, as are ids too long to be a sensible key.
 */
public final class SampleIds {
  /** Longest accepted id, in UTF-16 chars; a key is meant to identify, not to carry data. */
  public static final int MAX_LENGTH = 256;

  private SampleIds() {}

  /**
   * @param field the JSON field the id came from, for the message
   * @throws InvalidEventException with {@link RejectReason#INVALID_FIELD} if the id is blank, too
   *     long, or not well-formed UTF-16 (a lone surrogate) or holds control characters
   */
  public static void check(String field, String id) throws InvalidEventException {
    if (id == null || id.isBlank()) {
      throw new InvalidEventException(RejectReason.INVALID_FIELD, "'" + field + "' must not be blank");
    }
    if (id.length() > MAX_LENGTH) {
      throw new InvalidEventException(
          RejectReason.INVALID_FIELD, "'" + field + "' is " + id.length() + " chars, limit is " + MAX_LENGTH);
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < id.length() && Character.isLowSurrogate(id.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new InvalidEventException(
            RejectReason.INVALID_FIELD, "'" + field + "' holds a lone surrogate at index " + i + " (not valid UTF-16)");
      } else if (Character.isISOControl(c)) {
        throw new InvalidEventException(
            RejectReason.INVALID_FIELD, "'" + field + "' holds control character U+" + String.format("%04X", (int) c) + " at index " + i);
      }
    }
  }
}

package io.streaminfer.models.preprocess;

import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * The card's {@code byte-tokens} preprocessing: Unicode NFC, runs of ASCII whitespace collapsed to
 * one space and trimmed, UTF-8 bytes truncated to {@code max_len}, id = byte + offset, padded with
 * {@code pad_id}. Stateless and thread-safe.
 */
public final class TextPreprocessor {
  private static final Pattern ASCII_WS = Pattern.compile("[ \\t\\n\\r\\f\\u000B]+");

  private final String model;
  private final int maxLen;
  private final long offset;
  private final long padId;

  /** Reads the preprocessing from a card with {@code preprocessing.type = byte-tokens}. */
  public TextPreprocessor(ModelCard card) {
    if (!"byte-tokens".equals(card.preprocessing().path("type").asText())
        || !"UTF-8".equals(card.preprocessing().path("encoding").asText())) {
      throw new ModelLoadException(card.id() + ": preprocessing is not UTF-8 byte-tokens");
    }
    this.model = card.id();
    this.maxLen = (int) card.pre("max_len");
    this.offset = (long) card.pre("offset");
    this.padId = (long) card.pre("pad_id");
  }

  /** Ids one example occupies: {@code max_len}. */
  public int elements() {
    return maxLen;
  }

  /** NFC, ASCII whitespace runs to one space, leading/trailing spaces removed. */
  public static String normalise(String text) {
    String s = ASCII_WS.matcher(Normalizer.normalize(text, Normalizer.Form.NFC)).replaceAll(" ");
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) == ' ') {
      start++;
    }
    while (end > start && s.charAt(end - 1) == ' ') {
      end--;
    }
    return s.substring(start, end);
  }

  /** Tokenises {@code text} into {@code dst} at its position; empty text is rejected. */
  public void write(String text, LongBuffer dst) {
    String norm = normalise(text == null ? "" : text);
    if (norm.isEmpty()) {
      throw new InferenceException(
          InferenceException.Reason.TEXT_EMPTY, model, "text is empty or only whitespace");
    }
    byte[] bytes = norm.getBytes(StandardCharsets.UTF_8);
    int n = Math.min(bytes.length, maxLen);
    for (int i = 0; i < n; i++) {
      dst.put((bytes[i] & 0xFF) + offset);
    }
    for (int i = n; i < maxLen; i++) {
      dst.put(padId);
    }
  }
}

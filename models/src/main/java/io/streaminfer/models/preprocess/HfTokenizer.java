package io.streaminfer.models.preprocess;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} (WordPiece, BPE, Unigram; its normaliser, pre-tokeniser and
 * post-processor as written) run by the Rust {@code tokenizers} library through DJL, giving the
 * ids, type ids and attention mask Python's {@code tokenizers} gives for the same text.
 *
 * <p>Truncation keeps the special tokens and drops content tokens from the {@code right} (the end
 * of the text, Hugging Face's default) or the {@code left}, which is what Hugging Face's truncation
 * of one sequence does; {@code refuse} rejects a text with more tokens than {@code max_length}.
 * Nothing is padded here: a batch is padded to its longest member by whoever builds the tensors.
 *
 * <p>A text with no content token (empty after the tokenizer's normalisation) is refused as {@code
 * TEXT_EMPTY}; one whose content tokens are all the unknown token, as {@code TEXT_UNENCODABLE}
 * (there is nothing for the model to read). Thread-safe; owns a native tokenizer, closed by {@link
 * #close()}.
 */
public final class HfTokenizer implements AutoCloseable {
  static {
    // DJL reports usage to its maintainers when it runs on EC2 unless told not to; a model server
    // inside a user's Kafka topology makes no calls the user did not ask for
    if (System.getProperty("OPT_OUT_TRACKING") == null
        && System.getenv("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
  }

  /** Which end of an over-long text loses tokens, or whether it is refused. */
  public enum Truncation {
    /** Drop tokens from the end (Hugging Face's default). */
    RIGHT,
    /** Drop tokens from the start (keep the end of the text). */
    LEFT,
    /** Refuse the text as {@code TEXT_TOO_LONG}. */
    REFUSE;

    /** {@code right}, {@code left} or {@code refuse}; null for anything else. */
    public static Truncation parse(String s) {
      for (Truncation t : values()) {
        if (t.name().equalsIgnoreCase(s)) {
          return t;
        }
      }
      return null;
    }
  }

  /** One text's tokens: ids, type ids and attention mask, of the same length. */
  public record Tokens(long[] ids, long[] typeIds, long[] attentionMask) {
    /** Number of tokens, special ones included. */
    public int length() {
      return ids.length;
    }
  }

  private final HuggingFaceTokenizer tokenizer;
  private final String model;
  private final int maxLength;
  private final Truncation truncation;
  private final long unknownId;
  private final int specialTokens;

  private HfTokenizer(
      HuggingFaceTokenizer tokenizer,
      String model,
      int maxLength,
      Truncation truncation,
      long unknownId) {
    this.tokenizer = tokenizer;
    this.model = model;
    this.maxLength = maxLength;
    this.truncation = truncation;
    this.unknownId = unknownId;
    this.specialTokens = tokenizer.encode("").getIds().length;
  }

  /**
   * Loads {@code file}; throws {@link ModelLoadException} naming it when it is not a tokenizer the
   * library reads, or when {@code maxLength} leaves no room beside the special tokens.
   *
   * @param model the model it serves, for messages ({@code name:version})
   */
  public static HfTokenizer load(Path file, int maxLength, Truncation truncation, String model) {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException(model + ": tokenizer file " + file + " is missing");
    }
    long unknown;
    try {
      unknown = unknownId(new ObjectMapper().readTree(file.toFile()).path("model"));
    } catch (IOException e) {
      throw new ModelLoadException(
          model + ": tokenizer file " + file + " is not JSON: " + e.getMessage(), e);
    }
    HuggingFaceTokenizer t;
    try {
      // special tokens as the file's post-processor adds them; truncation and padding are ours
      t =
          HuggingFaceTokenizer.newInstance(
              file, Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"));
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException(
          model + ": tokenizer file " + file + " cannot be read: " + e.getMessage(), e);
    }
    HfTokenizer h = new HfTokenizer(t, model, maxLength, truncation, unknown);
    if (maxLength <= h.specialTokens) {
      h.close();
      throw new ModelLoadException(
          model
              + ": model card key 'preprocessing.max_length' is "
              + maxLength
              + ", which leaves no room beside the "
              + h.specialTokens
              + " special tokens of "
              + file);
    }
    return h;
  }

  /**
   * The id of the model's unknown token, or -1 when it has none (byte-level BPE): {@code unk_id}
   * (Unigram) or {@code unk_token} looked up in the vocabulary (WordPiece, WordLevel, BPE).
   */
  private static long unknownId(JsonNode m) {
    if (m.has("unk_id") && m.get("unk_id").isIntegralNumber()) {
      return m.get("unk_id").asLong();
    }
    JsonNode token = m.path("unk_token");
    JsonNode vocab = m.path("vocab");
    if (token.isTextual() && vocab.isObject() && vocab.has(token.asText())) {
      return vocab.get(token.asText()).asLong();
    }
    return -1;
  }

  /** Special tokens the post-processor adds to one text. */
  public int specialTokens() {
    return specialTokens;
  }

  /** The id of the unknown token, -1 when the tokenizer has none (byte-level BPE). */
  public long unknownId() {
    return unknownId;
  }

  /** The most tokens one text may have, special ones included. */
  public int maxLength() {
    return maxLength;
  }

  /** Tokenises one text; throws {@link InferenceException} as the class says. */
  public Tokens encode(String text) {
    return finish(tokenizer.encode(text == null ? "" : text));
  }

  private Tokens finish(Encoding e) {
    long[] ids = e.getIds();
    long[] special = e.getSpecialTokenMask();
    int content = 0;
    int unknown = 0;
    for (int i = 0; i < ids.length; i++) {
      if (special[i] == 0) {
        content++;
        if (ids[i] == unknownId) {
          unknown++;
        }
      }
    }
    if (content == 0) {
      throw new InferenceException(
          InferenceException.Reason.TEXT_EMPTY,
          model,
          "text has no token after the tokenizer's normalisation");
    }
    if (unknown == content) {
      throw new InferenceException(
          InferenceException.Reason.TEXT_UNENCODABLE,
          model,
          "every one of the text's " + content + " tokens is the tokenizer's unknown token");
    }
    long[] types = e.getTypeIds();
    long[] mask = e.getAttentionMask();
    if (ids.length <= maxLength) {
      return new Tokens(ids, types, mask);
    }
    if (truncation == Truncation.REFUSE) {
      throw new InferenceException(
          InferenceException.Reason.TEXT_TOO_LONG,
          model,
          "text has " + ids.length + " tokens; the model takes at most " + maxLength);
    }
    // drop content tokens from one end until the text fits; special tokens stay where they are
    int drop = ids.length - maxLength;
    boolean[] dropped = new boolean[ids.length];
    for (int k = 0; k < ids.length && drop > 0; k++) {
      int i = truncation == Truncation.RIGHT ? ids.length - 1 - k : k;
      if (special[i] == 0) {
        dropped[i] = true;
        drop--;
      }
    }
    long[][] kept = new long[3][maxLength];
    int n = 0;
    for (int i = 0; i < ids.length; i++) {
      if (!dropped[i]) {
        kept[0][n] = ids[i];
        kept[1][n] = types[i];
        kept[2][n] = mask[i];
        n++;
      }
    }
    return new Tokens(kept[0], kept[1], kept[2]);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}

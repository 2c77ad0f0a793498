package io.streaminfer.models.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.TensorSpec;
import java.nio.Buffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The card's {@code hf-tokenizer} preprocessing: a Hugging Face {@code tokenizer.json} beside the
 * model ({@code tokenizer_file}, its {@code tokenizer_sha256} checked at load), {@code max_length}
 * tokens at most ({@code truncation}: {@code right}, {@code left} or {@code refuse}), and which
 * graph inputs take what ({@code inputs}: {@code input_ids} required, {@code attention_mask} and
 * {@code token_type_ids} when the graph has them; all int64 {@code [batch, sequence]}). A batch is
 * padded to its longest member with {@code pad_id} (mask 0, type 0) where the graph's sequence axis
 * is dynamic, else to the graph's fixed length. Thread-safe; owns the tokenizer ({@link #close()}).
 */
public final class TokenizedText implements AutoCloseable {
  /** What a graph input of a Transformer takes. */
  public enum Role {
    INPUT_IDS("input_ids"),
    ATTENTION_MASK("attention_mask"),
    TOKEN_TYPE_IDS("token_type_ids");

    /** The key under {@code preprocessing.inputs}. */
    public final String key;

    Role(String key) {
      this.key = key;
    }
  }

  private final HfTokenizer tokenizer;
  private final long padId;
  private final Map<String, Role> roleOf = new HashMap<>();
  private final long fixedLength;

  /**
   * Reads the preprocessing of {@code artifact}'s card; throws {@link ModelLoadException} naming
   * the key, the tensor or the file that is wrong.
   */
  public TokenizedText(ModelArtifact artifact) {
    ModelCard card = artifact.card();
    JsonNode p = card.preprocessing();
    String model = card.id();
    if (!"hf-tokenizer".equals(p.path("type").asText())) {
      throw bad(model, "type", "is not 'hf-tokenizer'");
    }
    String name = p.path("tokenizer_file").asText("tokenizer.json");
    Path file = artifact.directory().resolve(name).normalize();
    if (!file.startsWith(artifact.directory().normalize()) || name.isEmpty()) {
      throw bad(model, "tokenizer_file", "'" + name + "' is not a file beside the model");
    }
    checkSha256(model, file, p.path("tokenizer_sha256").asText(""));
    int maxLength = (int) card.pre("max_length");
    String t = p.path("truncation").asText("right");
    HfTokenizer.Truncation truncation = HfTokenizer.Truncation.parse(t);
    if (truncation == null) {
      throw bad(model, "truncation", "is '" + t + "'; expected right, left or refuse");
    }
    this.padId = (long) card.pre("pad_id");
    JsonNode inputs = p.path("inputs");
    Map<String, String> tensorOf = new HashMap<>();
    for (Role r : Role.values()) {
      if (inputs.has(r.key)) {
        tensorOf.put(r.key, inputs.get(r.key).asText());
        roleOf.put(inputs.get(r.key).asText(), r);
      }
    }
    if (!tensorOf.containsKey(Role.INPUT_IDS.key)) {
      throw bad(model, "inputs.input_ids", "is missing: name the graph input that takes token ids");
    }
    long fixed = -1;
    for (TensorSpec s : card.inputs()) {
      if (!roleOf.containsKey(s.name())) {
        throw new ModelLoadException(
            model
                + ": graph input '"
                + s.name()
                + "' takes nothing the tokenizer gives; map it under preprocessing.inputs"
                + " (input_ids, attention_mask or token_type_ids)");
      }
      if (!s.dtype().equals("int64") || s.shape().length != 2) {
        throw new ModelLoadException(
            model
                + ": input '"
                + s.name()
                + "' is "
                + s.dtype()
                + " "
                + java.util.Arrays.toString(s.shape())
                + "; token inputs are int64 [batch, sequence]");
      }
      if (fixed != -1 && s.shape()[1] != fixed) {
        throw new ModelLoadException(
            model
                + ": the token inputs' sequence axes disagree (input '"
                + s.name()
                + "' has "
                + s.shape()[1]
                + ", another "
                + fixed
                + "); re-export them with one sequence axis");
      }
      fixed = s.shape()[1];
    }
    if (fixed < 0 && !roleOf.containsValue(Role.ATTENTION_MASK)) {
      // each batch is padded to its longest text: without a mask the padding would change a
      // text's answer with the company it is batched in
      throw new ModelLoadException(
          model
              + ": the graph takes no attention_mask but its sequence axis is dynamic, so padded"
              + " batches would change its answers; export it with an attention_mask input, or"
              + " with a fixed sequence length");
    }
    for (Map.Entry<String, Role> e : roleOf.entrySet()) {
      if (card.inputs().stream().noneMatch(s -> s.name().equals(e.getKey()))) {
        throw bad(
            model,
            "inputs." + e.getValue().key,
            "names '" + e.getKey() + "', which is not an input of the graph");
      }
    }
    if (fixed > 0 && maxLength > fixed) {
      throw bad(
          model,
          "max_length",
          "is " + maxLength + " but the graph's sequence axis is fixed at " + fixed);
    }
    this.fixedLength = fixed;
    this.tokenizer = HfTokenizer.load(file, maxLength, truncation, model);
  }

  private static void checkSha256(String model, Path file, String want) {
    if (want.isEmpty()) {
      throw bad(model, "tokenizer_sha256", "is missing (the sha256 of " + file.getFileName() + ")");
    }
    String got = io.streaminfer.models.card.ModelRepository.sha256(file);
    if (!got.equalsIgnoreCase(want)) {
      throw new ModelLoadException(
          model
              + ": tokenizer file "
              + file
              + " has sha256 "
              + got
              + " but its card says "
              + want
              + " (changed after the card was written?)");
    }
  }

  /** Tokenises one text; throws {@link io.streaminfer.models.InferenceException} when refused. */
  public HfTokenizer.Tokens tokenize(String text) {
    return tokenizer.encode(text);
  }

  /**
   * The sequence length of a batch: the longest of its tokenised texts ({@code null} entries,
   * failed inputs, skipped) where the graph's axis is dynamic, else the graph's fixed length.
   */
  public long length(Object[] staged) {
    if (fixedLength > 0) {
      return fixedLength;
    }
    long longest = 1;
    for (Object o : staged) {
      if (o != null) {
        longest = Math.max(longest, ((HfTokenizer.Tokens) o).length());
      }
    }
    return longest;
  }

  /**
   * The length a batch pads {@code staged} (a tokenised text) to the longest of, for grouping texts
   * of similar length; 0 where the graph's sequence axis is fixed (every text pads to it).
   */
  public int groupLength(Object staged) {
    return fixedLength > 0 ? 0 : ((HfTokenizer.Tokens) staged).length();
  }

  /**
   * Writes {@code t} into every input buffer from its position, padded up to its limit (the row's
   * views a batch gives each text).
   */
  public void write(HfTokenizer.Tokens t, Map<String, Buffer> rows) {
    for (Map.Entry<String, Role> e : roleOf.entrySet()) {
      LongBuffer b = (LongBuffer) rows.get(e.getKey());
      long[] values =
          switch (e.getValue()) {
            case INPUT_IDS -> t.ids();
            case ATTENTION_MASK -> t.attentionMask();
            case TOKEN_TYPE_IDS -> t.typeIds();
          };
      b.put(values);
      long pad = e.getValue() == Role.INPUT_IDS ? padId : 0;
      while (b.hasRemaining()) {
        b.put(pad);
      }
    }
  }

  /** The graph inputs this preprocessing fills, by role. */
  public List<Role> roles() {
    return List.copyOf(roleOf.values());
  }

  private static ModelLoadException bad(String model, String key, String what) {
    return new ModelLoadException(model + ": model card key 'preprocessing." + key + "' " + what);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}

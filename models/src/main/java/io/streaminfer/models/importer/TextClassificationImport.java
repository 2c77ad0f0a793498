package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.postprocess.ClassScores;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.Outcome;
import io.streaminfer.models.task.TextClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Text classifiers with a Hugging Face tokenizer (a {@code transformers} model exported to ONNX):
 * int64 {@code [batch, sequence]} inputs named {@code input_ids}, {@code attention_mask} and {@code
 * token_type_ids} (a single input is the ids), read with the {@code tokenizer.json} given by {@code
 * --tokenizer} (or the folder holding it). From the folder: labels from {@code config.json}'s
 * {@code id2label}; {@code max_length} from {@code tokenizer_config.json}'s {@code
 * model_max_length}, else {@code config.json}'s {@code max_position_embeddings}; {@code pad_id}
 * from the tokenizer's padding, else its pad token, else {@code config.json}'s {@code
 * pad_token_id}. Truncation is assumed on the right, as Hugging Face truncates.
 */
class TextClassificationImport implements ImportFamily {
  private static final JsonNodeFactory J = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ROLES = Set.of("input_ids", "attention_mask", "token_type_ids");

  @Override
  public Task task() {
    return Task.TEXT_CLASSIFICATION;
  }

  /** Token inputs ({@link #takesTokens}) and an output that is not token vectors. */
  @Override
  public boolean recognises(OnnxGraph g) {
    return takesTokens(g) && !TextEmbeddingImport.givesVectors(g);
  }

  /** Every input int64 of rank 2; the ids named input_ids, or the only input. */
  static boolean takesTokens(OnnxGraph g) {
    boolean tokens =
        g.inputs().stream().allMatch(v -> v.dtype().equals("int64") && v.dims().length == 2);
    return tokens
        && (g.inputs().size() == 1
            || g.inputs().stream().anyMatch(v -> v.name().equals("input_ids")));
  }

  @Override
  public Set<String> presets() {
    return Set.of();
  }

  @Override
  public void draft(OnnxGraph g, ImportRequest r, CardDraft d) {
    JsonNode config = tokens(g, r, d);
    ImageClassificationImport.classScores(
        g, r, d, config == null ? List.of() : id2label(config), "config.json id2label");
  }

  /**
   * Fills the {@code hf-tokenizer} preprocessing from the graph's inputs and the tokenizer folder;
   * returns the folder's config.json (missing when absent), or null when no tokenizer was given.
   */
  static JsonNode tokens(OnnxGraph g, ImportRequest r, CardDraft d) {
    ObjectNode inputs = J.objectNode();
    for (OnnxGraph.Value v : g.inputs()) {
      String role =
          ROLES.contains(v.name()) ? v.name() : g.inputs().size() == 1 ? "input_ids" : null;
      if (role == null || !v.dtype().equals("int64") || v.dims().length != 2) {
        throw new ImportRefusedException(
            "input '"
                + v.name()
                + "' ("
                + v.describe()
                + ") is not one a tokenizer gives: text models take int64 [batch, sequence]"
                + " input_ids, attention_mask and token_type_ids");
      }
      inputs.put(role, v.name());
    }
    d.infer("preprocessing.inputs", inputs, "the graph's input names");
    if (d.has("preprocessing.tokenizer_file")
        && !d.get("preprocessing.tokenizer_file").asText().equals("tokenizer.json")) {
      throw new ImportRefusedException(
          "preprocessing.tokenizer_file is written by --tokenizer (as tokenizer.json); leave it"
              + " unset");
    }
    long fixedLength = g.inputs().get(0).dims()[1]; // -1 when dynamic
    d.fill("preprocessing.type", J.textNode("hf-tokenizer"));
    Path file = tokenizerFile(r);
    if (file == null) {
      d.missing(
          "preprocessing.tokenizer_file",
          "a text model needs its tokenizer: pass --tokenizer with the Hugging Face model folder"
              + " or its tokenizer.json");
      return null;
    }
    JsonNode tok = read(file, true);
    JsonNode config = read(file.resolveSibling("config.json"), false);
    JsonNode tokConfig = read(file.resolveSibling("tokenizer_config.json"), false);
    d.fill("preprocessing.tokenizer_file", J.textNode("tokenizer.json"));
    d.fill("preprocessing.tokenizer_sha256", J.textNode(ModelRepository.sha256(file)));
    long maxLength = tokConfig.path("model_max_length").asLong(-1);
    if (fixedLength > 0) {
      d.infer(
          "preprocessing.max_length",
          J.numberNode(maxLength > 1 ? Math.min(maxLength, fixedLength) : fixedLength),
          "the graph's fixed sequence axis");
    } else if (maxLength > 1 && maxLength < 1_000_000) {
      d.infer(
          "preprocessing.max_length",
          J.numberNode(maxLength),
          "tokenizer_config.json model_max_length");
    } else if (config.path("max_position_embeddings").asLong(-1) > 1) {
      long positions = config.path("max_position_embeddings").asLong();
      String type = config.path("model_type").asText("");
      // RoBERTa-style embeddings number positions from pad_token_id + 1 (514 positions: 512 tokens)
      long offset =
          Set.of("roberta", "xlm-roberta", "camembert", "longformer", "data2vec-text")
                  .contains(type)
              ? config.path("pad_token_id").asLong(1) + 1
              : 0;
      d.infer(
          "preprocessing.max_length",
          J.numberNode(positions - offset),
          "config.json max_position_embeddings"
              + (offset > 0
                  ? " less " + offset + " (" + type + " positions start after padding)"
                  : ""));
    } else {
      d.missing(
          "preprocessing.max_length",
          "neither tokenizer_config.json nor config.json beside "
              + file
              + " says how many tokens the model takes");
    }
    long pad = padId(tok, tokConfig);
    if (pad >= 0) {
      d.infer("preprocessing.pad_id", J.numberNode(pad), "the tokenizer's pad token");
    } else if (config.path("pad_token_id").isIntegralNumber()) {
      d.infer(
          "preprocessing.pad_id",
          J.numberNode(config.path("pad_token_id").asLong()),
          "config.json pad_token_id");
    } else {
      d.missing("preprocessing.pad_id", "the tokenizer names no pad token; set the id to pad with");
    }
    d.assume(
        "preprocessing.truncation",
        J.textNode("right"),
        "longer texts lose their end, as Hugging Face truncates; set left to keep the end, refuse"
            + " to dead-letter them");
    return config;
  }

  /** The tokenizer.json of the request: the path itself, or the folder's; null when none. */
  private static Path tokenizerFile(ImportRequest r) {
    if (r.tokenizer().isEmpty()) {
      return null;
    }
    Path p = r.tokenizer().get();
    Path file = Files.isDirectory(p) ? p.resolve("tokenizer.json") : p;
    if (!Files.isRegularFile(file)) {
      throw new ImportRefusedException("--tokenizer " + p + ": no tokenizer.json at " + file);
    }
    return file;
  }

  private static JsonNode read(Path file, boolean required) {
    if (!Files.isRegularFile(file)) {
      if (required) {
        throw new ImportRefusedException("cannot read " + file);
      }
      return J.missingNode();
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new ImportRefusedException(file + " is not JSON: " + e.getMessage(), e);
    }
  }

  /** The id the tokenizer pads with: its padding section, else its pad token's id; -1 if none. */
  private static long padId(JsonNode tok, JsonNode tokConfig) {
    if (tok.path("padding").path("pad_id").isIntegralNumber()) {
      return tok.path("padding").path("pad_id").asLong();
    }
    JsonNode padToken = tokConfig.path("pad_token");
    String token = padToken.isObject() ? padToken.path("content").asText() : padToken.asText("");
    if (token.isEmpty()) {
      return -1;
    }
    for (JsonNode a : tok.path("added_tokens")) {
      if (a.path("content").asText().equals(token)) {
        return a.path("id").asLong();
      }
    }
    JsonNode vocab = tok.path("model").path("vocab");
    return vocab.isObject() && vocab.has(token) ? vocab.get(token).asLong() : -1;
  }

  /** config.json's id2label in id order; empty when absent. */
  private static List<String> id2label(JsonNode config) {
    Map<Integer, String> byId = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = config.path("id2label").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      try {
        byId.put(Integer.parseInt(e.getKey()), e.getValue().asText());
      } catch (NumberFormatException ignored) {
        return List.of();
      }
    }
    List<String> out = new ArrayList<>(byId.values());
    return byId.isEmpty() || !byId.containsKey(0) || !byId.containsKey(out.size() - 1)
        ? List.of()
        : out;
  }

  @Override
  public final Map<String, Path> files(ImportRequest r) {
    Path file = tokenizerFile(r);
    return file == null ? Map.of() : Map.of("tokenizer.json", file);
  }

  @Override
  public String smoke(OnnxModel model) {
    try (TextClassifier task = new TextClassifier(model)) {
      var result =
          task.run(List.of("A short sentence to check the model.", "Eine zweite, längere Zeile."));
      Outcome<ClassScores.Classified> o = result.outcomes().get(0);
      if (!o.ok()) {
        throw o.error();
      }
      return "two texts, padded to the longer, through "
          + model.card().inputs().size()
          + " inputs in "
          + result.inferenceMicros() / 1000
          + " ms: "
          + o.value().summary();
    }
  }
}

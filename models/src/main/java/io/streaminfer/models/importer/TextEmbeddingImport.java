package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.Outcome;
import io.streaminfer.models.task.TextEmbedder;
import java.util.List;

/**
 * Text embedding models with a Hugging Face tokenizer: the token inputs and tokenizer folder as
 * {@link TextClassificationImport} reads them, and a float32 output of token vectors {@code [batch,
 * sequence, dim]} (a feature-extraction export's {@code last_hidden_state}; pooling assumed {@code
 * mean}, the sentence-transformers default) or of one vector per text {@code [batch, dim]} (pooled
 * in the graph: pooling {@code none}). Vectors are assumed L2-normalised, as embeddings are
 * compared by cosine.
 */
final class TextEmbeddingImport extends TextClassificationImport {
  private static final JsonNodeFactory J = JsonNodeFactory.instance;

  @Override
  public Task task() {
    return Task.TEXT_EMBEDDING;
  }

  /** Token inputs and vectors out ({@link #givesVectors}). */
  @Override
  public boolean recognises(OnnxGraph g) {
    return takesTokens(g) && givesVectors(g);
  }

  /**
   * Whether the graph's first output is float32 token vectors ({@code [batch, sequence, dim]}) or,
   * of rank 2, named as an embedding is ({@code sentence_embedding}, {@code pooler_output}, …).
   */
  static boolean givesVectors(OnnxGraph g) {
    OnnxGraph.Value out = g.outputs().get(0);
    String name = out.name().toLowerCase(java.util.Locale.ROOT);
    return out.dtype().equals("float32")
        && (out.dims().length == 3
            || (out.dims().length == 2
                && (name.contains("embedding") || name.equals("pooler_output"))));
  }

  @Override
  public void draft(OnnxGraph g, ImportRequest r, CardDraft d) {
    tokens(g, r, d);
    String name =
        d.has("postprocessing.output")
            ? d.get("postprocessing.output").asText()
            : g.outputs().get(0).name();
    OnnxGraph.Value out = g.output(name);
    if (out == null) {
      throw new ImportRefusedException(
          "postprocessing.output is '"
              + name
              + "' but the graph's outputs are "
              + g.outputs().stream().map(OnnxGraph.Value::name).toList());
    }
    int rank = out.dims().length;
    if (!out.dtype().equals("float32") || (rank != 2 && rank != 3) || out.dims()[rank - 1] <= 0) {
      throw new ImportRefusedException(
          "output '"
              + name
              + "' is "
              + out.describe()
              + "; an embedding is float32 [batch, sequence, dim] token vectors or [batch, dim]"
              + " with a fixed dim");
    }
    d.infer("postprocessing.output", J.textNode(name), "the graph's first output");
    d.fill("postprocessing.type", J.textNode("embedding"));
    if (rank == 2) {
      d.infer(
          "postprocessing.pooling", J.textNode("none"), "output '" + name + "' is [batch, dim]");
    } else {
      d.assume(
          "postprocessing.pooling",
          J.textNode("mean"),
          "the mean of the token vectors over the attention mask (sentence-transformers' default);"
              + " set cls for a model trained on its first token's vector, max for max pooling");
    }
    d.assume(
        "postprocessing.normalize",
        J.booleanNode(true),
        "vectors scaled to unit length, so a dot product is their cosine; set false to keep their"
            + " norm");
  }

  @Override
  public String smoke(OnnxModel model) {
    try (TextEmbedder task = new TextEmbedder(model)) {
      var result =
          task.run(List.of("A short sentence to check the model.", "Eine zweite, längere Zeile."));
      Outcome<TextEmbedder.Vector> o = result.outcomes().get(0);
      if (!o.ok()) {
        throw o.error();
      }
      float[] v = o.value().values();
      return "two texts, padded to the longer, through "
          + model.card().inputs().size()
          + " inputs in "
          + result.inferenceMicros() / 1000
          + " ms: "
          + v.length
          + "-d vectors, the first of "
          + o.value().tokens()
          + " tokens starting "
          + String.format(java.util.Locale.ROOT, "[%.4f, %.4f, ...]", v[0], v[1]);
    }
  }
}

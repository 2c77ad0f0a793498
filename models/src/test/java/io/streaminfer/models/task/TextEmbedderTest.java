package io.streaminfer.models.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.TestRepository;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text-embedding task on langid-bert-embed (the langid-bert encoder, its {@code
 * last_hidden_state} mean-pooled over the attention mask and L2-normalised in Java): each text's
 * vector in a padded batch equals PyTorch's on that text alone, from the raw text.
 */
class TextEmbedderTest {
  private static final String NAME = "langid-bert-embed";

  private static OnnxModel load(Path repo) {
    return OnnxModel.load(
        ModelRepository.open(repo).select(NAME, Optional.empty()),
        RuntimeSettings.cpuDefaults(),
        new ProviderSelector());
  }

  @Test
  void vectorsInPaddedBatchesMatchPyTorchOnEachTextAlone() {
    try (OnnxModel model = load(TestRepository.root());
        TextEmbedder task = new TextEmbedder(model)) {
      JsonNode ref = TestRepository.reference(model.artifact());
      List<JsonNode> examples = new ArrayList<>();
      ref.path("examples").forEach(examples::add);
      assertThat(examples).hasSizeGreaterThanOrEqualTo(8);
      double tol = ref.path("tolerance").asDouble();
      // the references, in two orders and two batch sizes: the longest text pads the others
      List<JsonNode> reversed = new ArrayList<>(examples);
      Collections.reverse(reversed);
      for (List<JsonNode> order : List.of(examples, reversed, examples.subList(0, 3))) {
        List<String> texts =
            order.stream().map(e -> e.path("input").path("text").asText()).toList();
        var result = task.run(texts);
        for (int i = 0; i < texts.size(); i++) {
          JsonNode ex = order.get(i);
          TextEmbedder.Vector v = result.outcomes().get(i).value();
          float[] want = floats(ex.path("expected").path("vector"));
          assertThat(v.values()).hasSize(task.dimensions()).hasSize(want.length);
          assertThat(v.tokens()).isEqualTo(ex.path("expected").path("tokens").asInt());
          double norm = 0;
          for (int d = 0; d < want.length; d++) {
            assertThat((double) v.values()[d])
                .as("text %s dim %d", ex.path("input").path("label"), d)
                .isCloseTo(want[d], within(tol));
            norm += (double) v.values()[d] * v.values()[d];
          }
          assertThat(norm).isCloseTo(1.0, within(1e-5));
        }
      }
    }
  }

  @Test
  void aSentenceIsCloserToItsOwnLanguageThanToAnother() {
    try (OnnxModel model = load(TestRepository.root());
        TextEmbedder task = new TextEmbedder(model)) {
      var r =
          task.run(
                  List.of(
                      "Der Hund schläft im Garten unter dem alten Baum.",
                      "Die Katze sitzt auf dem Dach und schaut in die Sonne.",
                      "El perro duerme en el jardín bajo el árbol viejo."))
              .outcomes();
      float[] de1 = r.get(0).value().values();
      float[] de2 = r.get(1).value().values();
      float[] es = r.get(2).value().values();
      assertThat(dot(de1, de2)).isGreaterThan(dot(de1, es));
      assertThat(dot(de2, de1)).isGreaterThan(dot(de2, es));
    }
  }

  @Test
  void aCardThatCannotBePooledFailsAtLoadNamingTheKeyOrTensor(@TempDir Path tmp) throws Exception {
    Path src = TestRepository.root().resolve(NAME).resolve("1");
    Path dir = tmp.resolve(NAME).resolve("1");
    Files.createDirectories(dir);
    for (String f : List.of("model.onnx", "model.json", "tokenizer.json")) {
      Files.copy(src.resolve(f), dir.resolve(f));
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode card = (ObjectNode) json.readTree(dir.resolve("model.json").toFile());
    ObjectNode post = (ObjectNode) card.path("postprocessing");
    post.put("pooling", "first");
    json.writeValue(dir.resolve("model.json").toFile(), card);
    try (OnnxModel model = load(tmp)) {
      assertThatThrownBy(() -> new TextEmbedder(model))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("postprocessing.pooling")
          .hasMessageContaining("'first'");
    }
    post.put("pooling", "none"); // none takes [batch, dim], the graph gives token vectors
    json.writeValue(dir.resolve("model.json").toFile(), card);
    try (OnnxModel model = load(tmp)) {
      assertThatThrownBy(() -> new TextEmbedder(model))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("output 'last_hidden_state'")
          .hasMessageContaining("[batch, dim]");
    }
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  private static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).asDouble();
    }
    return out;
  }
}

package io.streaminfer.models.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.postprocess.TopK;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A text classifier whose card names a Hugging Face tokenizer and three graph inputs (ids, mask,
 * types; batch and sequence axes dynamic): every batch is tokenised in parallel and padded to its
 * longest text, and each text's logits equal ONNX Runtime's on that text alone, tokenised by Python
 * (fixture made by {@code hf_tokenizers.classifier_fixture}; the graph mean-pools over the mask, so
 * a padding or mask error changes the numbers).
 */
class TokenizedTextClassifierTest {
  private static final Path REPO = Path.of("src/test/resources/text-fixtures");

  private static OnnxModel load(Path repo) {
    return OnnxModel.load(
        ModelRepository.open(repo).select("wp-bag", Optional.empty()),
        RuntimeSettings.cpuDefaults(),
        new ProviderSelector());
  }

  @Test
  void paddedBatchesGiveEachTextTheLogitsOfItsOwnRun() throws Exception {
    JsonNode ref = new ObjectMapper().readTree(REPO.resolve("wp-bag/1/reference.json").toFile());
    List<String> texts = new ArrayList<>();
    ref.path("examples").forEach(e -> texts.add(e.path("text").asText()));
    try (OnnxModel model = load(REPO);
        TextClassifier task = new TextClassifier(model)) {
      int served = 0;
      int refused = 0;
      for (int from = 0; from < texts.size(); from += 17) { // batches of mixed lengths
        List<String> batch = texts.subList(from, Math.min(texts.size(), from + 17));
        BatchResult<List<TopK.Scored>> r = task.run(batch);
        int row = 0;
        for (int i = 0; i < batch.size(); i++) {
          JsonNode ex = ref.path("examples").get(from + i);
          var outcome = r.outcomes().get(i);
          if (!outcome.ok()) {
            assertThat(outcome.error().reason())
                .as("text %d: %s", from + i, outcome.error().getMessage())
                .isIn(
                    InferenceException.Reason.TEXT_EMPTY,
                    InferenceException.Reason.TEXT_UNENCODABLE);
            refused++;
            continue;
          }
          for (int k = 0; k < 3; k++) {
            assertThat((double) r.output()[row * 3 + k])
                .as("text %d logit %d", from + i, k)
                .isCloseTo(ex.path("logits").get(k).asDouble(), within(1e-5));
          }
          row++;
          served++;
        }
        assertThat(r.batchSize()).isEqualTo(row);
      }
      assertThat(served).isGreaterThanOrEqualTo(200);
      assertThat(refused).isLessThanOrEqualTo(10);
    }
  }

  @Test
  void oneTextAloneIsServedToo() {
    try (OnnxModel model = load(REPO);
        TextClassifier task = new TextClassifier(model)) {
      var r = task.run(List.of("ein kurzer Satz"));
      assertThat(r.outcomes().get(0).ok()).isTrue();
      assertThat(r.outcomes().get(0).value()).hasSize(3);
    }
  }

  @Test
  void aTamperedTokenizerOrAWrongCardFailsAtLoadNamingTheFileOrKey(@TempDir Path tmp)
      throws Exception {
    Path dir = tmp.resolve("wp-bag/1");
    Files.createDirectories(dir);
    for (String f : List.of("model.onnx", "model.json", "tokenizer.json")) {
      Files.copy(REPO.resolve("wp-bag/1").resolve(f), dir.resolve(f));
    }
    Files.writeString(
        dir.resolve("tokenizer.json"),
        Files.readString(dir.resolve("tokenizer.json")).replace("\"[UNK]\"", "\"[UNKNOWN]\""));
    try (OnnxModel model = load(tmp)) {
      assertThatThrownBy(() -> new TextClassifier(model))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining(dir.resolve("tokenizer.json").toString())
          .hasMessageContaining("sha256");
    }
    Files.copy(
        REPO.resolve("wp-bag/1/tokenizer.json"),
        dir.resolve("tokenizer.json"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    ObjectMapper json = new ObjectMapper();
    ObjectNode card = (ObjectNode) json.readTree(dir.resolve("model.json").toFile());
    ((ObjectNode) card.path("preprocessing").path("inputs")).remove("token_type_ids");
    json.writeValue(dir.resolve("model.json").toFile(), card);
    try (OnnxModel model = load(tmp)) {
      assertThatThrownBy(() -> new TextClassifier(model))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("graph input 'token_type_ids'")
          .hasMessageContaining("preprocessing.inputs");
    }
  }
}

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
import io.streaminfer.models.postprocess.ClassScores;
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
        BatchResult<ClassScores.Classified> r = task.run(batch);
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
      assertThat(r.outcomes().get(0).value().top()).hasSize(3);
    }
  }

  @Test
  void aTamperedTokenizerOrAWrongCardFailsAtLoadNamingTheFileOrKey(@TempDir Path tmp)
      throws Exception {
    Path dir = copyFixture(tmp);
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

  @Test
  void aSigmoidMultiLabelCardRanksEveryLabelAndAcceptsThoseAtTheirThreshold(@TempDir Path tmp)
      throws Exception {
    Path dir = copyFixture(tmp);
    ObjectMapper json = new ObjectMapper();
    ObjectNode card = (ObjectNode) json.readTree(dir.resolve("model.json").toFile());
    ObjectNode post = card.putObject("postprocessing");
    post.put("type", "sigmoid-multi-label").put("output", "logits").put("top_k", 2);
    double[] thresholds = {0.9, 0.5, 0.1};
    var t = post.putArray("thresholds");
    for (double v : thresholds) {
      t.add(v);
    }
    json.writeValue(dir.resolve("model.json").toFile(), card);
    JsonNode ref = json.readTree(REPO.resolve("wp-bag/1/reference.json").toFile());
    List<String> texts = new ArrayList<>();
    ref.path("examples").forEach(e -> texts.add(e.path("text").asText()));
    int none = 0;
    int several = 0;
    try (OnnxModel model = load(tmp);
        TextClassifier task = new TextClassifier(model)) {
      var r = task.run(texts.subList(0, 120));
      for (int i = 0; i < 120; i++) {
        var outcome = r.outcomes().get(i);
        if (!outcome.ok()) {
          continue; // refused texts are covered above
        }
        JsonNode logits = ref.path("examples").get(i).path("logits");
        double[] p = new double[3];
        for (int k = 0; k < 3; k++) {
          p[k] = 1 / (1 + Math.exp(-logits.get(k).asDouble()));
        }
        ClassScores.Classified c = outcome.value();
        assertThat(c.top()).hasSize(2);
        assertThat(c.top().get(0).score()).isGreaterThanOrEqualTo(c.top().get(1).score());
        List<String> accepted = new ArrayList<>();
        for (var s : c.accepted()) {
          int k = List.of("a", "b", "c").indexOf(s.label());
          assertThat((double) s.score()).isCloseTo(p[k], within(1e-5));
          accepted.add(s.label());
        }
        List<String> want = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
          if (p[k] >= thresholds[k] + 1e-6) {
            want.add(List.of("a", "b", "c").get(k));
          } else if (p[k] > thresholds[k] - 1e-6) {
            want = null; // too close to its threshold to say
            break;
          }
        }
        if (want != null) {
          assertThat(accepted).as("text %d", i).containsExactlyInAnyOrderElementsOf(want);
        }
        none += accepted.isEmpty() ? 1 : 0;
        several += accepted.size() > 1 ? 1 : 0;
      }
    }
    // the thresholds make both cases occur: no label accepted, and several
    assertThat(none).isPositive();
    assertThat(several).isPositive();
  }

  /** The fixture model's files in {@code tmp}/wp-bag/1, to change there. */
  private static Path copyFixture(Path tmp) throws java.io.IOException {
    Path dir = tmp.resolve("wp-bag/1");
    Files.createDirectories(dir);
    for (String f : List.of("model.onnx", "model.json", "tokenizer.json")) {
      Files.copy(REPO.resolve("wp-bag/1").resolve(f), dir.resolve(f));
    }
    return dir;
  }
}

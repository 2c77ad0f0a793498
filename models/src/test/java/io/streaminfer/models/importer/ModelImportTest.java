package io.streaminfer.models.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.streaminfer.models.TestRepository;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import io.streaminfer.models.task.ImageClassifier;
import io.streaminfer.models.task.ImageGenerator;
import io.streaminfer.models.task.TextClassifier;
import io.streaminfer.models.task.TextEmbedder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model import} on the committed models' own ONNX files reproduces cards that serve them
 * exactly as their training-written cards do; on the graphs of {@code import-fixtures} (made by
 * {@code streaminfer_training.import_fixtures}) it infers layout, dtype, range and postprocessing,
 * or refuses naming the tensor or the key to set, and leaves nothing behind when it refuses.
 */
class ModelImportTest {
  private static final List<String> DIGITS =
      List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

  /** What the runtime takes for a key a card leaves out. */
  private static final Map<String, String> RUNTIME_DEFAULTS =
      Map.of(
          "background", "0", "layout", "NCHW", "antialias", "false", "exif_orientation", "apply");

  private static final Path FIXTURES = Path.of("src/test/resources/import-fixtures");

  @TempDir Path repo;

  /** A request with the given options: task, preset, labels (comma list), version, and --set. */
  private ImportRequest request(Path onnx, String name, Map<String, String> opts) {
    Map<String, JsonNode> set = new LinkedHashMap<>();
    List<String> labels = new ArrayList<>();
    Optional<String> preset = Optional.empty();
    Optional<Task> task = Optional.empty();
    Optional<Path> tokenizer = Optional.empty();
    for (var e : opts.entrySet()) {
      switch (e.getKey()) {
        case "preset" -> preset = Optional.of(e.getValue());
        case "tokenizer" -> tokenizer = Optional.of(Path.of(e.getValue()));
        case "task" -> task = Optional.of(Task.fromId(e.getValue()));
        case "labels" -> labels.addAll(List.of(e.getValue().split(",")));
        default -> set.put(e.getKey(), json(e.getValue()));
      }
    }
    return new ImportRequest(
        onnx,
        repo,
        name,
        Optional.empty(),
        task,
        preset,
        labels,
        Optional.empty(),
        tokenizer,
        set,
        true);
  }

  private static JsonNode json(String v) {
    try {
      return new ObjectMapper().readTree(v);
    } catch (IOException e) {
      return JsonNodeFactory.instance.textNode(v);
    }
  }

  private static OnnxModel load(ModelArtifact a) {
    return OnnxModel.load(a, RuntimeSettings.cpuDefaults(), new ProviderSelector());
  }

  private ModelArtifact imported(ModelImporter.Report report) {
    CardSchema.check(report.card(), report.directory().resolve("model.json"));
    return ModelRepository.verify(report.directory());
  }

  @Test
  void shouldReproduceTheMobilenetCardFromItsOnnxFileWithThePresetImagenet() {
    ModelArtifact committed = TestRepository.newest("digits-mobilenet");
    ModelImporter.Report report =
        ModelImporter.run(
            request(
                committed.onnxFile(),
                "digits-mobilenet",
                Map.of(
                    "preset", "imagenet",
                    "labels", String.join(",", DIGITS),
                    "preprocessing.background", "[255, 255, 255]",
                    "postprocessing.top_k", "3")));
    report.lines().forEach(System.out::println);
    ModelArtifact a = imported(report);
    assertServingKeysEqual(a.card(), committed.card());
    assertThat(a.card().sha256()).isEqualTo(committed.card().sha256());
    // the same predictions, bit for bit, on every form of the reference images
    List<ImageInput> images = new ArrayList<>();
    for (JsonNode ex : TestRepository.reference(committed).path("examples")) {
      images.add(TestRepository.imageInput(ex.path("input")));
    }
    try (OnnxModel mine = load(a);
        OnnxModel theirs = load(committed)) {
      float[] got = new ImageClassifier(mine).run(images).output();
      float[] want = new ImageClassifier(theirs).run(images).output();
      assertThat(got).containsExactly(want);
    }
  }

  @Test
  void shouldReproduceTheBertCardFromItsOnnxFileAndHuggingFaceFolder() {
    ModelArtifact committed = TestRepository.newest("langid-bert");
    ModelImporter.Report report =
        ModelImporter.run(
            request(
                committed.onnxFile(),
                "langid-bert",
                Map.of(
                    "tokenizer",
                    committed.directory().resolve("hf").toString(),
                    "postprocessing.top_k",
                    "3")));
    report.lines().forEach(System.out::println);
    ModelArtifact a = imported(report);
    assertThat(a.card().task()).isEqualTo(Task.TEXT_CLASSIFICATION);
    assertServingKeysEqual(a.card(), committed.card()); // labels from config.json's id2label
    assertThat(report.lines()).anyMatch(l -> l.contains("truncation") && l.startsWith("assumed"));
    // the same logits from the raw texts of the reference set
    List<String> texts = new ArrayList<>();
    TestRepository.reference(committed)
        .path("examples")
        .forEach(ex -> texts.add(ex.path("input").path("text").asText()));
    try (OnnxModel mine = load(a);
        OnnxModel theirs = load(committed);
        TextClassifier m = new TextClassifier(mine);
        TextClassifier t = new TextClassifier(theirs)) {
      assertThat(m.run(texts).output()).containsExactly(t.run(texts).output());
    }
  }

  @Test
  void shouldReproduceTheEmbeddingCardFromItsOnnxFileAndTheEncodersFolder() {
    ModelArtifact committed = TestRepository.newest("langid-bert-embed");
    Path hf = TestRepository.newest("langid-bert").directory().resolve("hf");
    ModelImporter.Report report =
        ModelImporter.run(
            request(committed.onnxFile(), "langid-bert-embed", Map.of("tokenizer", hf.toString())));
    report.lines().forEach(System.out::println);
    ModelArtifact a = imported(report);
    assertThat(a.card().task()).isEqualTo(Task.TEXT_EMBEDDING); // told from its [b, s, 128] output
    assertServingKeysEqual(a.card(), committed.card());
    assertThat(report.lines())
        .anyMatch(l -> l.startsWith("assumed") && l.contains("postprocessing.pooling"))
        .anyMatch(l -> l.startsWith("smoke") && l.contains("128-d vectors"));
    List<String> texts = new ArrayList<>();
    TestRepository.reference(committed)
        .path("examples")
        .forEach(ex -> texts.add(ex.path("input").path("text").asText()));
    try (OnnxModel mine = load(a);
        OnnxModel theirs = load(committed);
        TextEmbedder m = new TextEmbedder(mine);
        TextEmbedder t = new TextEmbedder(theirs)) {
      var got = m.run(texts).outcomes();
      var want = t.run(texts).outcomes();
      for (int i = 0; i < texts.size(); i++) {
        assertThat(got.get(i).value().values()).containsExactly(want.get(i).value().values());
      }
    }
  }

  @Test
  void aTextModelWithoutItsTokenizerIsRefusedNamingTheOption() {
    ModelArtifact committed = TestRepository.newest("langid-bert");
    assertThatThrownBy(
            () -> ModelImporter.run(request(committed.onnxFile(), "no-tokenizer", Map.of())))
        .isInstanceOf(ImportRefusedException.class)
        .hasMessageContaining("preprocessing.tokenizer_file")
        .hasMessageContaining("--tokenizer");
    assertThat(repo.resolve("no-tokenizer")).doesNotExist();
  }

  @Test
  void shouldReproduceTheGreyDigitsCnnCardWithItsNormalisationSetByHand() {
    ModelArtifact committed = TestRepository.newest("digits-cnn");
    ModelCard c = committed.card();
    ModelImporter.Report report =
        ModelImporter.run(
            request(
                committed.onnxFile(),
                "digits-cnn",
                Map.of(
                    "labels", String.join(",", DIGITS),
                    "preprocessing.scale_divisor", "255",
                    "preprocessing.mean", Double.toString(c.pre("mean")),
                    "preprocessing.std", Double.toString(c.pre("std")),
                    "postprocessing.top_k", "3")));
    ModelArtifact a = imported(report);
    assertServingKeysEqual(a.card(), c);
    List<ImageInput> images = new ArrayList<>();
    for (JsonNode ex : TestRepository.reference(committed).path("examples")) {
      images.add(TestRepository.imageInput(ex.path("input")));
    }
    try (OnnxModel mine = load(a);
        OnnxModel theirs = load(committed)) {
      assertThat(new ImageClassifier(mine).run(images).output())
          .containsExactly(new ImageClassifier(theirs).run(images).output());
    }
  }

  @Test
  void shouldReproduceBothGeneratorCardsWithTheirRangeReadFromTheGraph() {
    for (String name : List.of("digits-gan", "digits-dcgan")) {
      ModelArtifact committed = TestRepository.newest(name);
      boolean conditional = committed.card().preprocessing().has("label_input");
      ModelImporter.Report report =
          ModelImporter.run(
              request(
                  committed.onnxFile(),
                  name,
                  conditional ? Map.of("labels", String.join(",", DIGITS)) : Map.of()));
      report.lines().forEach(System.out::println);
      ModelArtifact a = imported(report);
      assertThat(report.inferred())
          .anySatisfy(l -> assertThat(l).startsWith("postprocessing.range = [-1.0,1.0]"));
      assertServingKeysEqual(a.card(), committed.card());
      List<ImageGenerator.Sample> samples =
          TestRepository.samples(TestRepository.reference(committed));
      try (OnnxModel mine = load(a);
          OnnxModel theirs = load(committed)) {
        var got = new ImageGenerator(mine).run(samples).outcomes();
        var want = new ImageGenerator(theirs).run(samples).outcomes();
        for (int i = 0; i < samples.size(); i++) {
          assertThat(got.get(i).value().png())
              .as("%s sample %d", name, i)
              .isEqualTo(want.get(i).value().png());
        }
      }
    }
  }

  /** Inputs, outputs, labels, task and every pre/postprocessing key the imported card states. */
  private static void assertServingKeysEqual(ModelCard got, ModelCard want) {
    assertThat(got.task()).isEqualTo(want.task());
    assertThat(got.inputs()).isEqualTo(want.inputs());
    assertThat(got.outputs()).isEqualTo(want.outputs());
    assertThat(got.labels()).isEqualTo(want.labels());
    for (var section : List.of("preprocessing", "postprocessing")) {
      JsonNode g = section.equals("preprocessing") ? got.preprocessing() : got.postprocessing();
      JsonNode w = section.equals("preprocessing") ? want.preprocessing() : want.postprocessing();
      g.fieldNames()
          .forEachRemaining(
              k -> {
                JsonNode gv = g.get(k);
                JsonNode wv = w.path(k);
                if (k.equals("resize") && wv.asText().equals("bilinear-half-pixel")) {
                  assertThat(gv.asText()).isEqualTo("exact"); // the same resize by its new name
                } else if (wv.isMissingNode() && RUNTIME_DEFAULTS.containsKey(k)) {
                  assertThat(gv.asText())
                      .as("%s.%s", section, k)
                      .isEqualTo(RUNTIME_DEFAULTS.get(k));
                } else if (gv.isNumber()) {
                  assertThat(gv.asDouble()).as("%s.%s", section, k).isEqualTo(wv.asDouble());
                } else if (gv.isArray()) {
                  for (int i = 0; i < gv.size(); i++) {
                    assertThat(gv.get(i).asDouble())
                        .as("%s.%s", section, k)
                        .isEqualTo(wv.get(i).asDouble());
                  }
                } else {
                  assertThat(gv).as("%s.%s", section, k).isEqualTo(wv);
                }
              });
    }
  }

  @Test
  void shouldServeAGraphWithDynamicSpatialAxesOnceTheSizeIsSet() {
    Path onnx = FIXTURES.resolve("dynamic-rgb.onnx");
    assertThatThrownBy(() -> ModelImporter.run(request(onnx, "dyn", Map.of("preset", "unit"))))
        .isInstanceOf(ImportRefusedException.class)
        .hasMessageContaining("preprocessing.height: tensor 'image' has a dynamic height axis")
        .hasMessageContaining("preprocessing.width");
    assertThat(repo.resolve("dyn")).doesNotExist();
    ModelImporter.Report report =
        ModelImporter.run(
            request(
                onnx,
                "dyn",
                Map.of(
                    "preset", "unit", "preprocessing.height", "20", "preprocessing.width", "30")));
    ModelArtifact a = imported(report);
    assertThat(a.card().inputs().get(0).shape()).containsExactly(-1, 3, -1, -1);
    assertThat(a.card().pre("height")).isEqualTo(20);
    assertThat(a.card().labels()).containsExactly("0", "1", "2", "3");
    assertThat(report.assumed())
        .anySatisfy(l -> assertThat(l).startsWith("labels = the class indices"));
    assertThat(report.smoke()).contains("a 30x20 gradient image");
  }

  @Test
  void shouldInferNhwcUint8AndProbabilitiesFromTheGraph() {
    ModelImporter.Report report =
        ModelImporter.run(
            request(
                FIXTURES.resolve("nhwc-uint8-softmax.onnx"), "nhwc", Map.of("labels", "a,b,c")));
    ModelCard card = imported(report).card();
    assertThat(card.preprocessing().path("layout").asText()).isEqualTo("NHWC");
    assertThat(card.preprocessing().has("mean")).isFalse(); // uint8: the graph normalises
    assertThat(card.postprocessing().path("type").asText()).isEqualTo("probabilities-top-k");
    assertThat(card.labels()).containsExactly("a", "b", "c");
  }

  @Test
  void shouldRefuseAFloatClassifierWhoseNormalisationNobodyStated() {
    assertThatThrownBy(
            () ->
                ModelImporter.run(
                    request(
                        FIXTURES.resolve("dynamic-rgb.onnx"),
                        "x",
                        Map.of("preprocessing.height", "8", "preprocessing.width", "8"))))
        .hasMessageContaining(
            "preprocessing.mean: the graph does not say how its input was normalised")
        .hasMessageContaining("--preset imagenet");
  }

  @Test
  void shouldInferAGeneratorsRangeAndLatentFromItsGraph() {
    ModelImporter.Report report =
        ModelImporter.run(request(FIXTURES.resolve("generator-sigmoid.onnx"), "gen", Map.of()));
    ModelCard card = imported(report).card();
    assertThat(card.task()).isEqualTo(Task.IMAGE_GENERATION);
    assertThat(card.pre("latent_dim")).isEqualTo(8);
    assertThat(card.postprocessing().path("range").get(0).asDouble()).isZero();
    assertThat(card.post("channels")).isEqualTo(3);
    assertThat(card.post("width")).isEqualTo(6);
    assertThat(report.smoke()).contains("within the range [0.0, 1.0]");
  }

  @Test
  void shouldAskForTheLabelsOfAConditionalGeneratorNamingItsClassInput() {
    Path onnx = FIXTURES.resolve("generator-conditional.onnx");
    assertThatThrownBy(() -> ModelImporter.run(request(onnx, "cond", Map.of())))
        .hasMessageContaining("labels: input 'label' takes a class index");
    ModelCard card =
        imported(ModelImporter.run(request(onnx, "cond", Map.of("labels", "x,y,z")))).card();
    assertThat(card.labels()).containsExactly("x", "y", "z");
    assertThat(card.preprocessing().path("label_input").asText()).isEqualTo("label");
  }

  @Test
  void shouldRefuseGraphsItCannotServeNamingTheTensor() {
    Map<String, String> refusals =
        Map.of(
            "int32-input.onnx", "input 'image' is int32",
            "fixed-batch.onnx", "input 'image' has no batch axis (image: float32 [1, 3, 8, 8])",
            "two-inputs.onnx", "mask: float32 [batch, 1]",
            "float16-output.onnx", "output 'half' is float16",
            "generator-unbounded.onnx",
                "postprocessing.range: output 'generated' is computed by Gemm");
    refusals.forEach(
        (file, message) -> {
          assertThatThrownBy(
                  () ->
                      ModelImporter.run(
                          request(
                              FIXTURES.resolve(file),
                              "bad",
                              file.startsWith("generator") ? Map.of() : Map.of("preset", "unit"))))
              .as(file)
              .isInstanceOf(ImportRefusedException.class)
              .hasMessageContaining(message);
          assertThat(repo.resolve("bad")).as(file).doesNotExist();
        });
  }

  @Test
  void shouldRefuseAFileThatIsNotOnnxAndAVersionThatExists() throws IOException {
    Path junk = repo.resolve("junk.onnx");
    Files.write(junk, "this is not a protobuf\n".repeat(10).getBytes());
    assertThatThrownBy(() -> ModelImporter.run(request(junk, "junk", Map.of())))
        .hasMessageContaining("is not a readable ONNX model");
    Path onnx = FIXTURES.resolve("generator-sigmoid.onnx");
    ModelImporter.run(request(onnx, "gen", Map.of()));
    ModelImporter.Report second = ModelImporter.run(request(onnx, "gen", Map.of()));
    assertThat(second.directory().getFileName().toString()).isEqualTo("2");
    ImportRequest again =
        new ImportRequest(
            onnx,
            repo,
            "gen",
            Optional.of("1"),
            Optional.empty(),
            Optional.empty(),
            List.of(),
            Optional.empty(),
            Optional.empty(),
            Map.of(),
            true);
    assertThatThrownBy(() -> ModelImporter.run(again)).hasMessageContaining("already exists");
  }

  @Test
  void shouldRefuseAnOverrideTheSchemaRejectsNamingTheKey() {
    assertThatThrownBy(
            () ->
                ModelImporter.run(
                    request(
                        FIXTURES.resolve("generator-sigmoid.onnx"),
                        "gen",
                        Map.of("preprocessing.distribution", "cauchy"))))
        .hasMessageContaining("model-card.schema.json")
        .hasMessageContaining("distribution");
    assertThat(repo.resolve("gen")).doesNotExist();
  }

  @Test
  void everyCommittedCardMatchesTheSchemaModelImportChecksAgainst() {
    for (ModelArtifact a : TestRepository.open().all()) {
      JsonNode card;
      try {
        card = new ObjectMapper().readTree(a.directory().resolve("model.json").toFile());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      CardSchema.check(card, a.directory().resolve("model.json"));
    }
  }
}

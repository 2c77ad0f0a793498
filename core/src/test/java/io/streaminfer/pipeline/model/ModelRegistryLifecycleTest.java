package io.streaminfer.pipeline.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.ImageClassifier;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestRepository;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelVersion;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's side of run-time model changes, without Kafka: versions named by a control record
 * are loaded, verified and warmed, or refused with the file named while the route keeps serving; a
 * swapped-out version stays open until the batches holding it end.
 */
class ModelRegistryLifecycleTest {
  @TempDir Path repo;
  private ModelRegistry models;

  @BeforeEach
  void open() {
    TestRepository.copy(repo);
    models =
        ModelRegistry.open(
            TestConfigs.config(Map.of(StreamInferConfig.MODELS_REPOSITORY, repo.toString())));
  }

  @AfterEach
  void close() {
    models.close();
  }

  private ModelVersion version(String name, String v) {
    return TestRepository.version(repo, name, v);
  }

  private static ModelControl serving(String route, ModelVersion v) {
    return ModelControl.newBuilder()
        .setRoute(route)
        .setServing(v)
        .setIssuedAt(Instant.now())
        .build();
  }

  @Test
  void shouldLoadANewVersionAddedWhileRunningAndServeIt() {
    // given: digits-cnn:2 written into the repository after start-up
    TestRepository.addVersion(repo, "digits-mobilenet", "1", "digits-cnn", "2");
    assertThat(models.serving("images").primary().model().card().id()).isEqualTo("digits-cnn:1");

    // when
    ModelRegistry.Outcome o =
        models.apply("images", serving("images", version("digits-cnn", "2")), 7);

    // then
    assertThat(o.applied()).as(o.reason()).isTrue();
    Serving now = models.serving("images");
    assertThat(now.primary().model().card().id()).isEqualTo("digits-cnn:2");
    assertThat(now.controlOffset()).isEqualTo(7);
    assertThat(models.loadedIds()).contains("digits-cnn:2");
  }

  @Test
  void shouldRefuseATamperedArtifactNamingTheFileAndKeepServing() {
    Path dir = TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "3");
    ModelVersion v = version("digits-cnn", "3");
    TestRepository.tamper(dir);

    ModelRegistry.Outcome o = models.apply("images", serving("images", v), 3);

    assertThat(o.applied()).isFalse();
    assertThat(o.reason()).contains(dir.resolve("model.onnx").toString()).contains("sha256");
    assertThat(models.serving("images").primary().model().card().id()).isEqualTo("digits-cnn:1");
    assertThat(models.serving("images").controlOffset()).isEqualTo(-1);
  }

  @Test
  void shouldRefuseACardThatDisagreesWithItsGraph() {
    Path dir = TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "4");
    TestRepository.misshapeInput(dir, 1, 3); // the card says 3 channels, the graph takes 1

    ModelRegistry.Outcome o =
        models.apply("images", serving("images", version("digits-cnn", "4")), 4);

    assertThat(o.applied()).isFalse();
    assertThat(o.reason()).contains(dir.resolve("model.onnx").toString());
    assertThat(models.loadedIds()).doesNotContain("digits-cnn:4");
  }

  @Test
  void shouldRefuseAnotherTaskAnotherShaAndAnUnknownVersion() {
    var text = models.apply("images", serving("images", version("langid-transformer", "1")), 1);
    assertThat(text.applied()).isFalse();
    assertThat(text.reason()).contains("text-classification").contains("model.json");

    ModelVersion wrongSha = version("digits-cnn", "1");
    wrongSha.setSha256("0".repeat(64));
    var sha = models.apply("images", serving("images", wrongSha), 2);
    assertThat(sha.applied()).isFalse();
    assertThat(sha.reason()).contains("control record expects " + "0".repeat(64));

    ModelVersion missing =
        ModelVersion.newBuilder().setName("digits-cnn").setVersion("9").setSha256("ab").build();
    var none = models.apply("images", serving("images", missing), 3);
    assertThat(none.applied()).isFalse();
    assertThat(none.reason()).contains(repo.resolve("digits-cnn").resolve("9").toString());

    assertThat(models.serving("images").primary().model().card().id()).isEqualTo("digits-cnn:1");
  }

  @Test
  void shouldRefuseForecastRoutesAndBadCanaryShares() {
    var sensors = models.apply("sensors", serving("sensors", version("sensor-lstm", "1")), 1);
    assertThat(sensors.applied()).isFalse();
    assertThat(sensors.reason()).contains("routes.sensors.models");

    TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "2");
    ModelControl c = serving("images", version("digits-cnn", "1"));
    c.setCanary(version("digits-cnn", "2"));
    c.setCanaryShare(1.5);
    var canary = models.apply("images", c, 2);
    assertThat(canary.applied()).isFalse();
    assertThat(canary.reason()).contains("canary share 1.5");
    assertThat(models.loadedIds()).doesNotContain("digits-cnn:2"); // what it loaded is closed
  }

  @Test
  void shouldKeepASwappedOutVersionOpenUntilTheBatchHoldingItEnds() {
    // given: digits-cnn:2 serves, and a batch holds it
    TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "2");
    assertThat(models.apply("images", serving("images", version("digits-cnn", "2")), 1).applied())
        .isTrue();
    ModelRegistry.Lease batch = models.lease("images");
    ImageClassifier v2 = (ImageClassifier) batch.serving().primary();
    float[] pixels = new float[64];

    // when: a tombstone returns the route to its configured version
    assertThat(models.apply("images", null, 2).applied()).isTrue();

    // then: the batch can still run v2; once it ends, v2 is closed
    assertThat(models.serving("images").primary().model().card().id()).isEqualTo("digits-cnn:1");
    assertThat(models.loadedIds()).doesNotContain("digits-cnn:2");
    assertThat(run(v2, pixels)).isTrue();
    batch.close();
    assertThat(run(v2, pixels)).isFalse();
  }

  /** Whether {@code task}'s session still runs (false once it was closed). */
  private static boolean run(BatchTask<?, ?, ?> task, float[] pixels) {
    var m = task.model();
    try (var t = m.tensor(m.floatBuffer(64).put(pixels), new long[] {1, 1, 8, 8})) {
      m.run(Map.of(m.card().inputs().get(0).name(), t));
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Test
  void shouldHoldThePreviousVersionWarmForRollback() {
    TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "2");
    ModelControl c = serving("images", version("digits-cnn", "2"));
    c.setPrevious(version("digits-cnn", "1"));
    ModelVersion gone =
        ModelVersion.newBuilder().setName("digits-cnn").setVersion("8").setSha256("ab").build();
    c.setLoaded(List.of(gone)); // only kept warm: its absence does not block the swap
    ModelRegistry.Outcome o = models.apply("images", c, 5);
    assertThat(o.applied()).isTrue();
    assertThat(o.reason()).contains("digits-cnn:8 not loaded").contains("digits-cnn/8");
    assertThat(models.serving("images").ids()).containsExactly("digits-cnn:2", "digits-cnn:1");
  }
}

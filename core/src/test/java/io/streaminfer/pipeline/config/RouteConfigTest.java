package io.streaminfer.pipeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.models.card.Task;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.model.ModelRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/**
 * Routes declared in configuration: parsing, defaults, overrides and every refusal naming route and
 * key.
 */
class RouteConfigTest {

  private static StreamInferConfig config(Object... kv) {
    Map<String, Object> p = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      p.put((String) kv[i], kv[i + 1]);
    }
    return StreamInferConfig.of(p);
  }

  private static Object[] scans(Object... more) {
    Object[] base = {
      "routes",
      "images,scans",
      "routes.scans.input",
      "scans",
      "routes.scans.task",
      "image-classification",
      "routes.scans.models",
      "digits-cnn",
      "routes.scans.output",
      "scan-predictions"
    };
    Object[] all = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void shouldParseADeclaredRouteWithItsOverridesAndTheGlobalDefaults() {
    StreamInferConfig c =
        config(
            scans(
                "routes.scans.top.k",
                "1",
                "routes.scans.batch.max.size",
                "64",
                "routes.scans.models",
                "digits-cnn:1",
                StreamInferConfig.IMAGE_MAX_BYTES,
                "1000",
                "routes.scans.max.decoded.bytes",
                "4096"));
    Route r = c.route("scans");
    assertThat(r.input()).isEqualTo("scans");
    assertThat(r.task()).isEqualTo(Task.IMAGE_CLASSIFICATION);
    assertThat(r.models()).containsExactly(ModelRef.parse("digits-cnn:1"));
    assertThat(r.output(Route.OUTPUT)).isEqualTo("scan-predictions");
    assertThat(r.limits().topK()).isEqualTo(1);
    assertThat(r.limits().maxBytes()).as("global default").isEqualTo(1000);
    assertThat(r.limits().maxDecodedBytes()).isEqualTo(4096);
    assertThat(c.route("images").limits().maxDecodedBytes())
        .as("global default")
        .isEqualTo(64L << 20);
    assertThat(r.batchMaxSize()).isEqualTo(64);
    assertThat(r.batchMaxDelay()).as("global default").isEqualTo(Duration.ofMillis(5));
    assertThat(c.route("images").limits().topK()).as("other routes keep the global").isEqualTo(3);
    assertThat(c.routes()).extracting(Route::name).containsExactly("images", "scans");
  }

  @Test
  void shouldKeepADefaultRouteWhenItIsNamedAndOverrideItsKeys() {
    StreamInferConfig c =
        config(
            "routes",
            "sensors",
            "routes.sensors.input",
            "plant-readings",
            "routes.sensors.models",
            "sensor-gru",
            "routes.sensors.anomaly.z",
            "6");
    Route r = c.route("sensors");
    assertThat(r.input()).isEqualTo("plant-readings");
    assertThat(r.outputs())
        .containsExactly(Map.entry("output", "forecasts"), Map.entry("anomalies", "anomalies"));
    assertThat(r.limits().anomalyModel()).map(Object::toString).contains("sensor-gru");
    assertThat(r.limits().anomalyZ()).isEqualTo(6.0);
  }

  @Test
  void shouldTakeRouteKeysFromTheEnvironmentAndFromSet() {
    Map<String, String> env =
        Map.of(
            "STREAMINFER_ROUTES",
            "images,big-cats",
            "STREAMINFER_ROUTES_BIG_CATS_INPUT",
            "cats",
            "STREAMINFER_ROUTES_BIG_CATS_TASK",
            "image-classification",
            "STREAMINFER_ROUTES_BIG_CATS_MODELS",
            "digits-cnn",
            "STREAMINFER_ROUTES_BIG_CATS_OUTPUT",
            "cat-labels",
            "STREAMINFER_ROUTES_BIG_CATS_BATCH_MAX_DELAY_MS",
            "40",
            "STREAMINFER_ROUTES_IMAGES_TOP_K",
            "2");
    StreamInferConfig c =
        StreamInferConfig.load(new Properties(), env, Map.of("routes.big-cats.top.k", "5"));
    assertThat(c.route("big-cats").input()).isEqualTo("cats");
    assertThat(c.route("big-cats").batchMaxDelay()).isEqualTo(Duration.ofMillis(40));
    assertThat(c.route("big-cats").limits().topK())
        .as("--set wins over the environment")
        .isEqualTo(5);
    assertThat(c.route("images").limits().topK()).isEqualTo(2);
  }

  @Test
  void shouldRefuseAnUnknownTaskNamingTheKey() {
    assertThatThrownBy(() -> config(scans("routes.scans.task", "object-detection")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.task")
        .hasMessageContaining("object-detection")
        .hasMessageContaining("image-classification");
  }

  @Test
  void shouldRefuseMissingTopicNamesNamingRouteAndKey() {
    assertThatThrownBy(
            () ->
                config(
                    "routes",
                    "scans",
                    "routes.scans.task",
                    "image-classification",
                    "routes.scans.models",
                    "digits-cnn",
                    "routes.scans.output",
                    "x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.input");
    assertThatThrownBy(
            () ->
                config(
                    "routes",
                    "scans",
                    "routes.scans.task",
                    "image-classification",
                    "routes.scans.models",
                    "digits-cnn",
                    "routes.scans.input",
                    "x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.output");
    assertThatThrownBy(
            () ->
                config(
                    "routes",
                    "plant",
                    "routes.plant.task",
                    "time-series-forecast",
                    "routes.plant.models",
                    "sensor-gru",
                    "routes.plant.input",
                    "r",
                    "routes.plant.output",
                    "f"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.plant.anomalies");
    assertThatThrownBy(() -> config(scans("routes.scans.input", " ")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.input");
    assertThatThrownBy(() -> config("routes", "scans"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.task");
  }

  @Test
  void shouldRefuseADuplicateOrBadlyNamedRoute() {
    assertThatThrownBy(() -> config("routes", "images,texts,images"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes")
        .hasMessageContaining("'images' is declared twice");
    assertThatThrownBy(() -> config("routes", "Big_Cats"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("route name 'Big_Cats'");
    assertThatThrownBy(() -> config("routes", ""))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("at least one route");
  }

  @Test
  void shouldRefuseTwoRoutesWritingOneTopicWithDifferentSchemas() {
    assertThatThrownBy(
            () -> config("routes", "images,sensors", "routes.sensors.output", "image-predictions"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.sensors.output")
        .hasMessageContaining("routes.images.output")
        .hasMessageContaining("Classification")
        .hasMessageContaining("Forecast");
    // the same schema may share a topic
    assertThat(
            config(scans("routes.scans.output", "image-predictions"))
                .route("scans")
                .output(Route.OUTPUT))
        .isEqualTo("image-predictions");
  }

  @Test
  void shouldRefuseReadingAnOutputOrTheDeadLetters() {
    assertThatThrownBy(() -> config(scans("routes.scans.input", "image-predictions")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.input")
        .hasMessageContaining("is an output topic (routes.images.output)");
    assertThatThrownBy(() -> config(scans("routes.scans.output", "dead-letters")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.output")
        .hasMessageContaining("dead-letter topic");
    assertThatThrownBy(() -> config(scans("routes.scans.input", "dead-letters")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.input");
  }

  @Test
  void shouldRefuseRouteKeysThatNoDeclaredRouteReads() {
    assertThatThrownBy(() -> config(scans("routes.scans.inptu", "x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown route key 'routes.scans.inptu'")
        .hasMessageContaining("routes.scans.input");
    assertThatThrownBy(() -> config(scans("routes.scans.anomaly.z", "3")))
        .as("a key of another task family")
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.anomaly.z")
        .hasMessageContaining("image-classification");
    assertThatThrownBy(() -> config(scans("routes.cats.input", "x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.cats.input")
        .hasMessageContaining("not in routes=images,scans");
  }

  @Test
  void shouldRefuseSeveralModelsOnAClassificationRouteAndABadModelReference() {
    assertThatThrownBy(() -> config(scans("routes.scans.models", "digits-cnn,langid-transformer")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.models")
        .hasMessageContaining("serves one model");
    assertThatThrownBy(() -> config(scans("routes.scans.models", "digits-cnn:one")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.models");
    assertThatThrownBy(() -> config(scans("routes.scans.models", "")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.models");
    assertThatThrownBy(() -> config(scans("routes.scans.batch.max.size", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.batch.max.size");
  }

  @Test
  void shouldRefuseAModelNamedTwiceAndAnAnomalyModelThatIsNotOneOfTheRoutesVersions() {
    assertThatThrownBy(
            () -> config("routes", "sensors", "routes.sensors.models", "sensor-lstm,sensor-lstm"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.sensors.models")
        .hasMessageContaining("twice");
    assertThatThrownBy(
            () ->
                ModelRegistry.open(
                    TestConfigs.config(
                        Map.of(
                            "routes",
                            "sensors",
                            "routes.sensors.models",
                            "sensor-lstm,sensor-lstm:1"))))
        .as("two references to one version")
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.sensors.models")
        .hasMessageContaining("sensor-lstm:1 twice");
    assertThatThrownBy(
            () ->
                config(
                    "routes",
                    "sensors",
                    "routes.sensors.models",
                    "sensor-lstm:1,sensor-gru",
                    "routes.sensors.anomaly.model",
                    "sensor-lstm:2"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.sensors.anomaly.model");
    assertThatThrownBy(
            () ->
                config(
                    "routes",
                    "sensors",
                    "routes.sensors.models",
                    "sensor-lstm:1,sensor-lstm:2",
                    "routes.sensors.anomaly.model",
                    "sensor-lstm"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("name its version");
    assertThat(
            config(
                    "routes",
                    "sensors",
                    "routes.sensors.models",
                    "sensor-lstm:1,sensor-lstm:2",
                    "routes.sensors.anomaly.model",
                    "sensor-lstm:2")
                .route("sensors")
                .limits()
                .anomalyModel())
        .map(Object::toString)
        .contains("sensor-lstm:2");
  }

  @Test
  void shouldRefuseAtStartUpAModelOfTheWrongTaskOrOneNotInTheRepository() {
    assertThatThrownBy(
            () ->
                ModelRegistry.open(
                    TestConfigs.config(
                        Map.of(
                            "routes",
                            "scans",
                            "routes.scans.input",
                            "s",
                            "routes.scans.task",
                            "image-classification",
                            "routes.scans.models",
                            "langid-transformer",
                            "routes.scans.output",
                            "o"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.scans.models")
        .hasMessageContaining(
            "langid-transformer:1 is a text-classification model, but route scans is image-classification");
    assertThatThrownBy(
            () ->
                ModelRegistry.open(
                    TestConfigs.config(
                        Map.of("routes", "images", "routes.images.models", "digits-resnet"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.images.models")
        .hasMessageContaining("'digits-resnet', which is not in the model repository");
    assertThatThrownBy(
            () ->
                ModelRegistry.open(
                    TestConfigs.config(
                        Map.of("routes", "images", "routes.images.models", "digits-cnn:7"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.images.models")
        .hasMessageContaining("digits-cnn");
  }
}

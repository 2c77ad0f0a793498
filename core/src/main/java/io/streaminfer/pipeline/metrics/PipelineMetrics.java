package io.streaminfer.pipeline.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.pipeline.dlq.ErrorCode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * StreamInfer's own metrics of one instance (one Kafka Streams client), every one labelled by
 * route: predictions and inference time per model version, dead letters per code, anomaly alerts,
 * batch sizes, slow batches, and latency histograms per stage ({@code streaminfer_latency_seconds}
 * with {@code stage} = {@code queue}, {@code decode}, {@code inference}, {@code end_to_end}).
 * Counters are monotonic within a process (Prometheus {@code _total}); a restart starts them at 0.
 * Backed by the registry the instance owns, so two instances in one JVM count apart. Thread-safe
 * (Micrometer meters are).
 *
 * <p>Kafka Streams builds the exception handlers from class names; they find this object under
 * {@link #CONFIG} in their configuration (see {@link #of(Map)}).
 */
public final class PipelineMetrics {
  /** Kafka Streams configuration key under which the handlers find the instance's metrics. */
  public static final String CONFIG = "streaminfer.metrics";

  /** Histogram buckets of the latency timers: 1 ms to 60 s. */
  static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(20),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(200),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(2),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofSeconds(60)
  };

  /** Histogram buckets of the batch sizes. */
  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

  /** The latency stages, the {@code stage} label of {@code streaminfer_latency_seconds}. */
  public enum Stage {
    /** From an input record's timestamp to the start of the batch that handles it. */
    QUEUE,
    /** A batch's model step outside the ONNX Runtime run: decoding, pre- and post-processing. */
    DECODE,
    /** A batch's ONNX Runtime session run. */
    INFERENCE,
    /** From an input record's timestamp to its prediction being written. */
    END_TO_END;

    /** The label value. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final MeterRegistry registry;
  private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>(); // route NUL code
  private final Map<String, java.util.concurrent.atomic.AtomicLong> controlOffsets =
      new ConcurrentHashMap<>();

  /** Metrics recorded into {@code registry} (not owned). */
  public PipelineMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Metrics kept in memory only (tests, tools). */
  public static PipelineMetrics inMemory() {
    return new PipelineMetrics(new SimpleMeterRegistry());
  }

  /** The metrics in a handler's configuration, or in-memory ones when there are none. */
  public static PipelineMetrics of(Map<String, ?> configs) {
    Object m = configs.get(CONFIG);
    return m instanceof PipelineMetrics p ? p : inMemory();
  }

  /** The registry. */
  public MeterRegistry registry() {
    return registry;
  }

  /** The metrics of route {@code route}. */
  public RouteMetrics route(String route) {
    return new RouteMetrics(route);
  }

  /** A dead letter of route {@code route} (empty when no route's processor was involved). */
  public void deadLetter(String route, ErrorCode code) {
    String r = route == null ? "" : route;
    deadLetters
        .computeIfAbsent(
            r + "\u0000" + code.name(),
            k ->
                Counter.builder("streaminfer.dead.letters")
                    .tag("route", r)
                    .tag("code", code.name())
                    .description("Inputs sent to the dead-letter topic, per route and error code")
                    .register(registry))
        .increment();
  }

  /** Dead letters counted for {@code route} and {@code code} so far. */
  public double deadLetters(String route, ErrorCode code) {
    Counter c =
        registry
            .find("streaminfer.dead.letters")
            .tag("route", route)
            .tag("code", code.name())
            .counter();
    return c == null ? 0 : c.count();
  }

  /** Predictions counted for {@code route} so far (all models). */
  public double predictions(String route) {
    return registry.find("streaminfer.predictions").tag("route", route).counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  /**
   * The answer of this instance to a control record of {@code route} at {@code offset}: applied
   * (the route serves under it from the next batch) or refused.
   */
  public void control(String route, boolean applied, long offset) {
    Counter.builder("streaminfer.model.control")
        .tag("route", route)
        .tag("outcome", applied ? "applied" : "refused")
        .description("Control records read, per route, applied or refused")
        .register(registry)
        .increment();
    if (applied) {
      controlOffsets
          .computeIfAbsent(
              route,
              r -> {
                java.util.concurrent.atomic.AtomicLong v =
                    new java.util.concurrent.atomic.AtomicLong(-1);
                io.micrometer.core.instrument.Gauge.builder(
                        "streaminfer.model.control.offset", v::get)
                    .tag("route", r)
                    .description(
                        "Offset of the control record the route serves under (-1: configured)")
                    .register(registry);
                return v;
              })
          .set(offset);
    }
  }

  /** Control records of {@code route} counted with {@code outcome} (applied, refused) so far. */
  public double control(String route, String outcome) {
    Counter c =
        registry
            .find("streaminfer.model.control")
            .tag("route", route)
            .tag("outcome", outcome)
            .counter();
    return c == null ? 0 : c.count();
  }

  /** Events of {@code route} a canary split sent to {@code servedBy} (canary, primary) so far. */
  public double split(String route, String servedBy) {
    Counter c =
        registry
            .find("streaminfer.canary.split")
            .tag("route", route)
            .tag("served.by", servedBy)
            .counter();
    return c == null ? 0 : c.count();
  }

  /** Shadow predictions of {@code route} with {@code agreement} (agree, disagree, n/a) so far. */
  public double shadows(String route, String agreement) {
    Counter c =
        registry
            .find("streaminfer.shadow.predictions")
            .tag("route", route)
            .tag("agreement", agreement)
            .counter();
    return c == null ? 0 : c.count();
  }

  /** Slow batches counted for {@code route} so far. */
  public double slowBatches(String route) {
    Counter c = registry.find("streaminfer.slow.batches").tag("route", route).counter();
    return c == null ? 0 : c.count();
  }

  /** The metrics of one route. Thread-safe. */
  public final class RouteMetrics {
    private final String route;
    private final Counter slow;
    private final Counter anomalies;
    private final Counter stateResets;
    private final DistributionSummary batchSize;
    private final Map<Stage, Timer> latency = new java.util.EnumMap<>(Stage.class);
    // meters per model version, looked up once: building a meter id per record costs more than
    // counting it
    private final Map<OnnxModel, Counter> predictions = new ConcurrentHashMap<>();
    private final Map<OnnxModel, Timer> inference = new ConcurrentHashMap<>();
    private final Map<String, Counter> shadows = new ConcurrentHashMap<>(); // by agreement
    private final Counter shadowsFailed;
    private final Counter splitCanary;
    private final Counter splitPrimary;

    private RouteMetrics(String route) {
      this.route = route;
      this.slow =
          Counter.builder("streaminfer.slow.batches")
              .tag("route", route)
              .description(
                  "Batches that took over a quarter of the poll budget (see docs/reliability.md)")
              .register(registry);
      this.splitCanary =
          Counter.builder("streaminfer.canary.split")
              .tag("route", route)
              .tag("served.by", "canary")
              .description("Events routed while a canary split stood, by the version that served")
              .register(registry);
      this.splitPrimary =
          Counter.builder("streaminfer.canary.split")
              .tag("route", route)
              .tag("served.by", "primary")
              .description("Events routed while a canary split stood, by the version that served")
              .register(registry);
      this.shadowsFailed =
          Counter.builder("streaminfer.shadow.failures")
              .tag("route", route)
              .description("Events the route's shadow version failed on (no shadow prediction)")
              .register(registry);
      this.anomalies =
          Counter.builder("streaminfer.anomalies")
              .tag("route", route)
              .description("Anomaly alerts written")
              .register(registry);
      this.stateResets =
          Counter.builder("streaminfer.state.resets")
              .tag("route", route)
              .description(
                  "Per-key recurrent states started afresh because another model version made them")
              .register(registry);
      this.batchSize =
          DistributionSummary.builder("streaminfer.batch.size")
              .tag("route", route)
              .description("Records per batch the route's processor handled")
              .serviceLevelObjectives(BATCH_BUCKETS)
              .register(registry);
      for (Stage stage : Stage.values()) {
        latency.put(
            stage,
            Timer.builder("streaminfer.latency")
                .tag("route", route)
                .tag("stage", stage.label())
                .description(
                    "Latency per stage: queue (record timestamp to its batch), decode and"
                        + " inference (per batch), end_to_end (record timestamp to prediction)")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry));
      }
    }

    /** The route's name. */
    public String route() {
      return route;
    }

    /**
     * One prediction made by {@code model} for an input whose record timestamp is {@code
     * recordTimestampMs} (its end-to-end latency is recorded when the timestamp is set).
     */
    public void prediction(OnnxModel model, long recordTimestampMs) {
      prediction(model);
      since(Stage.END_TO_END, recordTimestampMs);
    }

    /** An input whose record timestamp is {@code recordTimestampMs} reached its batch. */
    public void queued(long recordTimestampMs) {
      since(Stage.QUEUE, recordTimestampMs);
    }

    private void since(Stage stage, long recordTimestampMs) {
      if (recordTimestampMs > 0) {
        latency
            .get(stage)
            .record(
                Math.max(0, System.currentTimeMillis() - recordTimestampMs),
                java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    }

    /** One prediction made by {@code model}. */
    public void prediction(OnnxModel model) {
      predictions
          .computeIfAbsent(
              model,
              m ->
                  Counter.builder("streaminfer.predictions")
                      .tag("route", route)
                      .tag("model", m.card().name())
                      .tag("version", m.card().version())
                      .description("Prediction records written, per route and model version")
                      .register(registry))
          .increment();
    }

    /**
     * One model step of {@code model} over a batch: {@code micros} in all, {@code runMicros} of it
     * the ONNX Runtime run.
     */
    public void inference(OnnxModel model, long micros, long runMicros) {
      inference(model, micros);
      latency.get(Stage.INFERENCE).record(runMicros, java.util.concurrent.TimeUnit.MICROSECONDS);
      latency
          .get(Stage.DECODE)
          .record(Math.max(0, micros - runMicros), java.util.concurrent.TimeUnit.MICROSECONDS);
    }

    /** One model step of {@code model} that took {@code micros} (not split by stage). */
    public void inference(OnnxModel model, long micros) {
      inference
          .computeIfAbsent(
              model,
              m ->
                  Timer.builder("streaminfer.inference")
                      .tag("route", route)
                      .tag("model", m.card().name())
                      .tag("version", m.card().version())
                      .description(
                          "Model steps per batch (pre-processing, ONNX Runtime, post-processing)")
                      .register(registry))
          .record(Duration.ofNanos(micros * 1_000));
    }

    /** One dead letter. */
    public void deadLetter(ErrorCode code) {
      PipelineMetrics.this.deadLetter(route, code);
    }

    /**
     * One prediction of the route's shadow written to the shadow topic: {@code agrees} says whether
     * it names the label the route served (null where there is nothing to compare).
     */
    public void shadow(Boolean agrees) {
      String a = agrees == null ? "n/a" : agrees ? "agree" : "disagree";
      shadows
          .computeIfAbsent(
              a,
              k ->
                  Counter.builder("streaminfer.shadow.predictions")
                      .tag("route", route)
                      .tag("agreement", k)
                      .description(
                          "Shadow predictions, by agreement with the served label (classifiers)")
                      .register(registry))
          .increment();
    }

    /**
     * One event routed while a canary split stands: to the canary or to the primary (the share
     * actually served is canary / (canary + primary)).
     */
    public void split(boolean canary) {
      (canary ? splitCanary : splitPrimary).increment();
    }

    /** One event the shadow could not serve (no shadow prediction; the route's is unchanged). */
    public void shadowFailed() {
      shadowsFailed.increment();
    }

    /** One anomaly alert. */
    public void anomaly() {
      anomalies.increment();
    }

    /** One key's recurrent state started afresh (made by another model version). */
    public void stateReset() {
      stateResets.increment();
    }

    /** Recurrent states started afresh so far. */
    public double stateResets() {
      return stateResets.count();
    }

    /** One batch of {@code size} records handled. */
    public void batch(int size) {
      batchSize.record(size);
    }

    /** One batch over its time budget. */
    public void slowBatch() {
      slow.increment();
    }
  }
}

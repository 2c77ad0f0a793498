package io.streaminfer.pipeline.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ControlTopics;
import io.streaminfer.pipeline.model.KafkaArtifacts;
import io.streaminfer.pipeline.model.ModelControlListener;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.pipeline.topology.StreamInferTopology;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running StreamInfer instance: the model registry, the Kafka Streams client(s) over the
 * routes' topology (one, or one per route under {@code isolation=per-route}) and the instance's
 * metrics (its own registry, so instances in one JVM count apart). Owns all of them; {@link
 * #close()} stops the streams first and only then closes the model sessions they use.
 */
public final class StreamInferApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamInferApp.class);

  private final ModelRegistry models;
  private final ModelControlListener control; // null without run-time model changes
  private final Map<String, KafkaStreams> clients; // application id → client
  private final PrometheusMeterRegistry registry;
  private final PipelineMetrics metrics;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private MetricsServer server;

  private StreamInferApp(
      ModelRegistry models,
      ModelControlListener control,
      Map<String, KafkaStreams> clients,
      PrometheusMeterRegistry registry,
      PipelineMetrics metrics) {
    this.models = models;
    this.control = control;
    this.clients = clients;
    this.registry = registry;
    this.metrics = metrics;
  }

  /**
   * Loads the models (failing fast on a bad repository) and starts the Kafka Streams client(s): one
   * for every route, or one per route under {@code isolation=per-route}.
   */
  public static StreamInferApp start(StreamInferConfig config) {
    ModelRegistry models = ModelRegistry.open(config);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PipelineMetrics metrics = new PipelineMetrics(registry);
    Map<String, KafkaStreams> clients = new LinkedHashMap<>();
    ModelControlListener control = null;
    try {
      if (config.modelControl()) {
        // the routes serve what the control topic asks from their first batch, as their peers do
        ControlTopics.ensure(config);
        String artifacts = config.getString(StreamInferConfig.TOPIC_MODEL_ARTIFACTS);
        if (!artifacts.isBlank()) {
          java.util.Properties client = config.clientProperties();
          java.nio.file.Path cache = config.artifactsDir();
          long max = config.getLong(StreamInferConfig.ARTIFACTS_MAX_BYTES);
          models.usePublishedArtifacts(
              a -> KafkaArtifacts.fetch(client, artifacts, a, cache, max, Duration.ofMinutes(10)));
        }
        control =
            new ModelControlListener(
                config.clientProperties(),
                config.getString(StreamInferConfig.TOPIC_MODEL_CONTROL),
                config.getString(StreamInferConfig.TOPIC_MODEL_STATUS),
                config.instanceId(),
                models,
                metrics);
        control.catchUp(Duration.ofMillis(config.getLong(StreamInferConfig.CONTROL_CATCHUP_MS)));
      }
      for (var instance : config.instances().entrySet()) {
        Properties p = StreamInferTopology.streamsProperties(config, instance.getValue(), metrics);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, instance.getKey());
        clients.put(
            instance.getKey(),
            new KafkaStreams(
                StreamInferTopology.build(config, instance.getValue(), models, metrics), p));
      }
    } catch (RuntimeException e) {
      if (control != null) {
        control.close();
      }
      clients.values().forEach(KafkaStreams::close);
      models.close();
      registry.close();
      throw e;
    }
    StreamInferApp app = new StreamInferApp(models, control, clients, registry, metrics);
    clients.forEach(
        (id, streams) -> {
          // the default reaction (this client shuts down, the instance stops); the cause is kept
          // for the exit line
          streams.setUncaughtExceptionHandler(
              e -> {
                app.failure.compareAndSet(null, e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                    .SHUTDOWN_CLIENT;
              });
          streams.setStateListener(
              (now, before) -> {
                LOG.info("streams {}: {} -> {}", id, before, now);
                if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                  // one client down stops the instance (a supervisor restarts it)
                  app.stopped.countDown();
                }
              });
        });
    int port = config.getInt(StreamInferConfig.METRICS_PORT);
    if (port > 0) {
      try {
        app.server =
            new MetricsServer(
                config.getString(StreamInferConfig.METRICS_HOST),
                port,
                clients.values(),
                registry,
                models.sessions(),
                new Health(clients, config.instances(), models));
      } catch (RuntimeException e) {
        app.close(); // nothing started yet: close the clients, sessions and registry
        throw e;
      }
      LOG.info(
          "metrics on http://{}:{}/metrics, health on /health/live and /health/ready",
          config.getString(StreamInferConfig.METRICS_HOST),
          app.server.port());
    }
    clients.values().forEach(KafkaStreams::start);
    if (control != null) {
      control.start();
    }
    LOG.info(
        "StreamInfer started: application.id={}, guarantee={}, provider={}",
        clients.keySet(),
        config.getString(StreamInferConfig.PROCESSING_GUARANTEE),
        models.provider().orElse("-"));
    return app;
  }

  /** The Kafka Streams clients by application id (one, or one per route). */
  public Map<String, KafkaStreams> clients() {
    return java.util.Collections.unmodifiableMap(clients);
  }

  /**
   * The instance's state: ERROR or NOT_RUNNING when any client is, RUNNING when all are, else the
   * state of the first client that is not running yet.
   */
  public KafkaStreams.State state() {
    KafkaStreams.State notYet = null;
    for (KafkaStreams s : clients.values()) {
      KafkaStreams.State st = s.state();
      if (st == KafkaStreams.State.ERROR || st == KafkaStreams.State.NOT_RUNNING) {
        return st;
      }
      if (st != KafkaStreams.State.RUNNING && notYet == null) {
        notYet = st;
      }
    }
    return notYet == null ? KafkaStreams.State.RUNNING : notYet;
  }

  /** What stopped a stream thread first, if one died; empty while all run. */
  public java.util.Optional<Throwable> failure() {
    return java.util.Optional.ofNullable(failure.get());
  }

  /** This instance's metrics. */
  public PipelineMetrics metrics() {
    return metrics;
  }

  /** The control listener, when models change at run time ({@code topic.model.control} set). */
  public java.util.Optional<ModelControlListener> control() {
    return java.util.Optional.ofNullable(control);
  }

  /** The loaded models. */
  public ModelRegistry models() {
    return models;
  }

  /** Waits until every client is RUNNING; false on timeout or failure. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      KafkaStreams.State s = state();
      if (s == KafkaStreams.State.RUNNING) {
        return true;
      }
      if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING) {
        return false;
      }
      Thread.sleep(50);
    }
    return false;
  }

  /** Blocks until the streams stop (error or close). */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  /** Blocks until the streams stop or the timeout passes. */
  public boolean awaitStop(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Stops the streams, then closes the model sessions (not while a stream thread still runs after
   * the close timeout); safe to call twice.
   */
  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    if (control != null) {
      control.close(); // no swap while the streams stop
    }
    boolean stoppedAll = true;
    for (KafkaStreams s : clients.values()) {
      // leave the group: the next instance is assigned the tasks at once, not after this member's
      // session timeout
      stoppedAll &=
          s.close(
              CloseOptions.groupMembershipOperation(
                      CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                  .withTimeout(Duration.ofSeconds(30)));
    }
    if (stoppedAll) {
      models.close(); // only after no stream thread can run a model any more
    } else { // a thread may still be inside a model run: freeing its session could crash it
      LOG.warn(
          "stream threads still running 30 s after close: model sessions left open until the"
              + " process exits");
    }
    registry.close();
    stopped.countDown();
  }
}

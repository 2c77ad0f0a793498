package io.streaminfer.pipeline.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.pipeline.topology.StreamInferTopology;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running StreamInfer instance: the model registry, the Kafka Streams client over the topology
 * and the instance's metrics (its own registry, so instances in one JVM count apart). Owns all
 * three; {@link #close()} stops the streams first and only then closes the model sessions they use.
 */
public final class StreamInferApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamInferApp.class);

  private final ModelRegistry models;
  private final KafkaStreams streams;
  private final PrometheusMeterRegistry registry;
  private final PipelineMetrics metrics;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private MetricsServer server;

  private StreamInferApp(ModelRegistry models, KafkaStreams streams, PrometheusMeterRegistry registry,
      PipelineMetrics metrics) {
    this.models = models;
    this.streams = streams;
    this.registry = registry;
    this.metrics = metrics;
  }

  /** Loads the models (failing fast on a bad repository) and starts the streams. */
  public static StreamInferApp start(StreamInferConfig config) {
    ModelRegistry models = ModelRegistry.open(config);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PipelineMetrics metrics = new PipelineMetrics(registry);
    KafkaStreams streams;
    try {
      streams = new KafkaStreams(StreamInferTopology.build(config, models, metrics),
          StreamInferTopology.streamsProperties(config, metrics));
    } catch (RuntimeException e) {
      models.close();
      registry.close();
      throw e;
    }
    StreamInferApp app = new StreamInferApp(models, streams, registry, metrics);
    streams.setStateListener((now, before) -> {
      LOG.info("streams {} -> {}", before, now);
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
        app.stopped.countDown();
      }
    });
    int port = config.getInt(StreamInferConfig.METRICS_PORT);
    if (port > 0) {
      app.server = new MetricsServer(port, streams, registry, models.sessions());
      LOG.info("metrics on http://127.0.0.1:{}/metrics", app.server.port());
    }
    streams.start();
    LOG.info("StreamInfer started: application.id={}, guarantee={}, provider={}",
        config.getString(StreamInferConfig.APPLICATION_ID),
        config.getString(StreamInferConfig.PROCESSING_GUARANTEE), models.provider().orElse("-"));
    return app;
  }

  /** The Kafka Streams client (for state and metrics). */
  public KafkaStreams streams() {
    return streams;
  }

  /** This instance's metrics. */
  public PipelineMetrics metrics() {
    return metrics;
  }

  /** The loaded models. */
  public ModelRegistry models() {
    return models;
  }

  /** Waits until the streams are RUNNING; false on timeout or failure. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      KafkaStreams.State s = streams.state();
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

  /** Stops the streams, then closes the model sessions; safe to call twice. */
  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    streams.close(Duration.ofSeconds(30));
    models.close(); // only after no stream thread can run a model any more
    registry.close();
    stopped.countDown();
  }
}

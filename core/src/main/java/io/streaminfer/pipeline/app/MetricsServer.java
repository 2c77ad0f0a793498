package io.streaminfer.pipeline.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streaminfer.models.runtime.OnnxModel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Prometheus metrics on {@code http://<metrics.host>:<metrics.port>/metrics}, and the instance's
 * health on {@code /health/live} and {@code /health/ready} ({@link Health}). The metrics: the
 * instance's own registry ({@link io.streaminfer.pipeline.metrics.PipelineMetrics}: predictions,
 * dead letters, inference time, batches, anomalies, slow batches, all per route), Kafka Streams'
 * client metrics (Micrometer's binder), JVM memory, and one {@code streaminfer_model_info} gauge
 * per loaded model naming the execution provider actually used. Owned by {@link StreamInferApp};
 * closed with it (the registry is the app's).
 */
final class MetricsServer implements AutoCloseable {
  private final PrometheusMeterRegistry registry;
  private final java.util.List<KafkaStreamsMetrics> streamsMetrics = new java.util.ArrayList<>();
  private final HttpServer server;

  MetricsServer(
      String host,
      int port,
      Iterable<KafkaStreams> clients,
      PrometheusMeterRegistry registry,
      Iterable<OnnxModel> models,
      Health health) {
    this.registry = registry;
    for (KafkaStreams streams : clients) {
      KafkaStreamsMetrics m = new KafkaStreamsMetrics(streams);
      m.bindTo(registry);
      streamsMetrics.add(m);
    }
    new JvmMemoryMetrics().bindTo(registry);
    for (OnnxModel m : models) {
      Gauge.builder("streaminfer.model.info", () -> 1)
          .tags(
              Tags.of(
                  "model",
                  m.card().name(),
                  "version",
                  m.card().version(),
                  "provider",
                  m.provider()))
          .description("A loaded model version and the execution provider it runs on")
          .register(registry);
    }
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on " + host + ":" + port + " (metrics.host, metrics.port)", e);
    }
    server.createContext(
        "/metrics",
        exchange -> {
          byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
          exchange
              .getResponseHeaders()
              .add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.createContext("/health/live", exchange -> send(exchange, health.live()));
    server.createContext("/health/ready", exchange -> send(exchange, health.ready()));
    server.start();
  }

  private static void send(HttpExchange exchange, Health.Report report) throws IOException {
    byte[] body = report.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(report.up() ? 200 : 503, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** The port actually bound. */
  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    streamsMetrics.forEach(KafkaStreamsMetrics::close);
  }
}

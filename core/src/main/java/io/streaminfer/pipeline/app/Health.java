package io.streaminfer.pipeline.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.pipeline.config.ModelRef;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.model.ModelRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Liveness and readiness of one instance, as {@code /health/live} and {@code /health/ready} report
 * them (HTTP 200 when up, 503 when not; the body is JSON naming every client's state and every
 * route's models either way).
 *
 * <ul>
 *   <li><b>live</b>: no Kafka Streams client has failed ({@code ERROR}, {@code PENDING_ERROR}) or
 *       stopped ({@code NOT_RUNNING}); starting and rebalancing clients are live. A supervisor that
 *       sees it down restarts the instance.
 *   <li><b>ready</b>: live, every client {@code RUNNING} (not rebalancing or restoring state), and
 *       every model each route names is loaded.
 * </ul>
 */
final class Health {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<KafkaStreams.State> DEAD =
      Set.of(
          KafkaStreams.State.ERROR,
          KafkaStreams.State.PENDING_ERROR,
          KafkaStreams.State.NOT_RUNNING);

  /** A check's answer: up or not, and the JSON body saying why. */
  record Report(boolean up, String body) {}

  private final Map<String, KafkaStreams> clients;
  private final Map<String, List<Route>> routes; // application id → its routes
  private final ModelRegistry models;

  Health(Map<String, KafkaStreams> clients, Map<String, List<Route>> routes, ModelRegistry models) {
    this.clients = clients;
    this.routes = routes;
    this.models = models;
  }

  /** Liveness. */
  Report live() {
    return report(false);
  }

  /** Readiness. */
  Report ready() {
    return report(true);
  }

  private Report report(boolean readiness) {
    ObjectNode body = JSON.createObjectNode();
    body.put("status", "UP"); // first in the body; settled below
    ObjectNode states = body.putObject("clients");
    boolean up = true;
    for (var c : clients.entrySet()) {
      KafkaStreams.State s = c.getValue().state();
      states.put(c.getKey(), s.name());
      up &= readiness ? s == KafkaStreams.State.RUNNING : !DEAD.contains(s);
    }
    if (readiness) {
      ObjectNode byRoute = body.putObject("routes");
      for (List<Route> rs : routes.values()) {
        for (Route r : rs) {
          ObjectNode route = byRoute.putObject(r.name());
          for (ModelRef ref : r.models()) {
            String loaded = loaded(ref);
            route.put(ref.toString(), loaded == null ? "not loaded" : loaded);
            up &= loaded != null;
          }
        }
      }
    }
    body.put("status", up ? "UP" : "DOWN");
    return new Report(up, body.toString());
  }

  /** The loaded model's {@code name:version} for {@code ref}, or null. */
  private String loaded(ModelRef ref) {
    try {
      return models.task(ref, BatchTask.class).model().card().id();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}

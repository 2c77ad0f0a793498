package io.streaminfer.pipeline.model;

import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The topics of run-time model changes: the control and status topics (compacted, one partition:
 * the control records of all routes in one order) and the shadow-predictions topic (as many
 * partitions as the routes' widest input). Creates those that are missing; fails fast, naming the
 * key, when the control topic has more than one partition or a topic cannot be created.
 */
public final class ControlTopics {
  private ControlTopics() {}

  /** Creates the missing ones of {@code config}'s control, status and shadow topics. */
  public static void ensure(StreamInferConfig config) {
    String control = config.getString(StreamInferConfig.TOPIC_MODEL_CONTROL);
    String status = config.getString(StreamInferConfig.TOPIC_MODEL_STATUS);
    String shadow = config.getString(StreamInferConfig.TOPIC_SHADOW_PREDICTIONS);
    String artifacts = config.getString(StreamInferConfig.TOPIC_MODEL_ARTIFACTS);
    try (Admin admin = Admin.create(config.adminProperties())) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      if (existing.contains(control)) {
        TopicDescription d =
            admin
                .describeTopics(List.of(control))
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .get(control);
        if (d.partitions().size() != 1) {
          throw new ConfigException(
              StreamInferConfig.TOPIC_MODEL_CONTROL,
              control,
              "has "
                  + d.partitions().size()
                  + " partitions; the control topic must have one (all routes' records in one order)");
        }
      }
      int width = 1;
      List<String> inputs =
          config.routes().stream().map(Route::input).filter(existing::contains).distinct().toList();
      if (!inputs.isEmpty()) {
        for (TopicDescription d :
            admin.describeTopics(inputs).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
          width = Math.max(width, d.partitions().size());
        }
      }
      Map<String, String> compacted =
          Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
      List<NewTopic> missing = new ArrayList<>();
      if (!existing.contains(control)) {
        missing.add(
            new NewTopic(control, java.util.Optional.of(1), java.util.Optional.empty())
                .configs(compacted));
      }
      if (!existing.contains(status)) {
        missing.add(
            new NewTopic(status, java.util.Optional.of(1), java.util.Optional.empty())
                .configs(compacted));
      }
      if (!artifacts.isBlank() && !existing.contains(artifacts)) {
        missing.add(
            new NewTopic(artifacts, java.util.Optional.of(1), java.util.Optional.empty())
                .configs(compacted));
      }
      if (!existing.contains(shadow)) {
        missing.add(new NewTopic(shadow, java.util.Optional.of(width), java.util.Optional.empty()));
      }
      for (NewTopic t : missing) {
        try {
          admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) { // a peer made it meanwhile
            throw new ConfigException(
                keyOf(t.name(), control, status, shadow),
                t.name(),
                "does not exist and cannot be created ("
                    + e.getCause()
                    + "); create it"
                    + (t.name().equals(shadow) ? "" : " (cleanup.policy=compact, one partition)")
                    + ", or set "
                    + StreamInferConfig.TOPIC_MODEL_CONTROL
                    + "= to serve without run-time model changes");
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the model-control topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot check the model-control topics on "
              + config.getList(StreamInferConfig.BOOTSTRAP_SERVERS)
              + ": "
              + (e.getCause() == null ? e : e.getCause()),
          e);
    }
  }

  private static String keyOf(String topic, String control, String status, String shadow) {
    return topic.equals(control)
        ? StreamInferConfig.TOPIC_MODEL_CONTROL
        : topic.equals(status)
            ? StreamInferConfig.TOPIC_MODEL_STATUS
            : topic.equals(shadow)
                ? StreamInferConfig.TOPIC_SHADOW_PREDICTIONS
                : StreamInferConfig.TOPIC_MODEL_ARTIFACTS;
  }
}

package io.streaminfer.pipeline.it;

import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real Kafka broker for integration tests: Testcontainers' Kafka container when a Docker engine
 * is reachable, otherwise Apache Kafka's KRaft broker in-process on 127.0.0.1.
 */
public final class KafkaEndpoint implements AutoCloseable {
  private final EmbeddedKafkaCluster embedded;
  private final KafkaContainer container;

  private KafkaEndpoint(EmbeddedKafkaCluster embedded, KafkaContainer container) {
    this.embedded = embedded;
    this.container = container;
  }

  /** The broker image: the Kafka release the project builds against (kafka.version). */
  public static final String IMAGE = "apache/kafka:" + kafkaVersion();

  /** The release of the Kafka client on the class path (its jar's kafka-version.properties). */
  public static String kafkaVersion() {
    try (var in =
        KafkaContainer.class
            .getClassLoader()
            .getResourceAsStream("kafka/kafka-version.properties")) {
      java.util.Properties p = new java.util.Properties();
      p.load(java.util.Objects.requireNonNull(in, "kafka/kafka-version.properties"));
      return p.getProperty("version");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Starts whichever broker this machine can run. */
  public static KafkaEndpoint start() {
    boolean docker;
    try {
      docker = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | Error e) {
      docker = false;
    }
    if (docker) {
      KafkaContainer c = new KafkaContainer(IMAGE);
      c.start();
      return new KafkaEndpoint(null, c);
    }
    return new KafkaEndpoint(EmbeddedKafkaCluster.start(), null);
  }

  /** Where clients connect. */
  public String bootstrapServers() {
    return embedded != null ? embedded.bootstrapServers() : container.getBootstrapServers();
  }

  /** Which broker this is, for reports. */
  public String kind() {
    return embedded != null ? "in-process Apache Kafka KRaft" : "Testcontainers apache/kafka";
  }

  /** Creates topics with {@code partitions} partitions and replication 1. */
  public void createTopics(int partitions, List<String> names) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      admin
          .createTopics(names.stream().map(n -> new NewTopic(n, partitions, (short) 1)).toList())
          .all()
          .get();
    }
  }

  @Override
  public void close() {
    if (embedded != null) {
      embedded.close();
    } else {
      container.stop();
    }
  }
}

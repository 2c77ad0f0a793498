package io.streaminfer.pipeline.cli;

import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A local Apache Kafka broker for trying StreamInfer without Docker or a Kafka download: Kafka's
 * own KRaft broker in this JVM on 127.0.0.1, with the topics of the declared routes created, up
 * until Ctrl-C (SIGTERM). With {@code --data-dir} its topics and records survive a restart.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description =
        "Start a local Kafka broker (KRaft, in this JVM, 127.0.0.1) with the routes' topics; runs until Ctrl-C.")
final class BrokerCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(
      names = "--port",
      defaultValue = "9092",
      description = "Broker port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 = any free port).")
  int port;

  @Option(
      names = "--data-dir",
      description =
          "Keep the broker's storage here (default: a temporary directory, deleted on exit).")
  Path dataDir;

  @Option(
      names = "--partitions",
      defaultValue = "3",
      description = "Partitions of each topic it creates (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Override
  public Integer call() throws Exception {
    StreamInferConfig c = config.load();
    List<String> topics = Topics.of(c).all();
    EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.startLocal(port, dataDir);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kafka.close();
                  stopped.countDown();
                },
                "streaminfer-broker-shutdown"));
    List<String> created = createMissing(kafka.bootstrapServers(), topics);
    System.out.println(
        "Kafka broker on "
            + kafka.bootstrapServers()
            + " (storage: "
            + (dataDir == null ? "temporary" : dataDir.toAbsolutePath())
            + ")");
    System.out.println(
        "topics: "
            + String.join(", ", topics)
            + (created.size() < topics.size()
                ? " (" + created.size() + " created, the others existed)"
                : ""));
    System.out.println(
        "try: java -jar pipeline/target/streaminfer.jar run -b "
            + kafka.bootstrapServers()
            + "    (Ctrl-C stops the broker)");
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** Creates those of {@code topics} that do not exist yet; returns them. */
  private List<String> createMissing(String bootstrap, List<String> topics) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (String t : topics) {
        if (!existing.contains(t)) {
          missing.add(new NewTopic(t, partitions, (short) 1));
        }
      }
      admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      return missing.stream().map(NewTopic::name).toList();
    }
  }
}

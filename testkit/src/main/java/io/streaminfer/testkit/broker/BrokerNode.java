package io.streaminfer.testkit.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * One combined broker+controller node of an {@link EmbeddedKafkaCluster}: its ports, its storage
 * directory and, while running, its {@link KafkaRaftServer}. Not thread-safe; the cluster
 * serialises calls.
 */
final class BrokerNode {

  static final String BROKER_LISTENER = "PLAINTEXT";
  static final String CONTROLLER_LISTENER = "CONTROLLER";
  static final String HOST = "127.0.0.1";

  private final int nodeId;
  private final int brokerPort;
  private final int controllerPort;
  private final Path directory;
  private final Uuid metadataDirectoryId = Uuid.randomUuid();
  private final Properties config = new Properties();
  private KafkaRaftServer server;

  BrokerNode(int nodeId, int brokerPort, int controllerPort, Path directory) {
    this.nodeId = nodeId;
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
    this.directory = directory;
  }

  int nodeId() {
    return nodeId;
  }

  String brokerAddress() {
    return HOST + ":" + brokerPort;
  }

  String controllerAddress() {
    return HOST + ":" + controllerPort;
  }

  /** This node as a KRaft initial voter: {@code id@host:port:directoryId}. */
  String initialVoter() {
    return nodeId + "@" + controllerAddress() + ":" + metadataDirectoryId;
  }

  /**
   * Builds the node's configuration: both roles, listeners bound to 127.0.0.1 only, storage in this
   * node's directory.
   */
  void configure(String quorumBootstrapServers, int clusterSize, Map<String, String> overrides) {
    int minInsync = Math.min(2, clusterSize);
    config.put("process.roles", "broker,controller");
    config.put("node.id", Integer.toString(nodeId));
    config.put(
        "listeners",
        BROKER_LISTENER
            + "://"
            + brokerAddress()
            + ","
            + CONTROLLER_LISTENER
            + "://"
            + controllerAddress());
    config.put("advertised.listeners", BROKER_LISTENER + "://" + brokerAddress());
    config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    config.put("controller.listener.names", CONTROLLER_LISTENER);
    config.put("inter.broker.listener.name", BROKER_LISTENER);
    config.put("controller.quorum.bootstrap.servers", quorumBootstrapServers);
    config.put("log.dirs", directory.resolve("data").toString());
    config.put("num.partitions", "1");
    config.put("default.replication.factor", Integer.toString(clusterSize));
    config.put("min.insync.replicas", Integer.toString(minInsync));
    config.put("offsets.topic.replication.factor", Integer.toString(clusterSize));
    config.put("offsets.topic.num.partitions", "5");
    config.put("transaction.state.log.replication.factor", Integer.toString(clusterSize));
    config.put("transaction.state.log.min.isr", Integer.toString(minInsync));
    config.put("share.coordinator.state.topic.replication.factor", Integer.toString(clusterSize));
    config.put("share.coordinator.state.topic.min.isr", Integer.toString(minInsync));
    config.put("group.initial.rebalance.delay.ms", "0");
    config.put("auto.create.topics.enable", "false");
    // The cleaner's default 128 MiB buffer per node is far more than tests and the demo need.
    config.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
    config.putAll(overrides);
  }

  /**
   * Formats the node's storage the way {@code kafka-storage.sh format} does.
   *
   * @param initialVoters {@code null} to format a standalone (single-voter) quorum, else the
   *     comma-separated {@link #initialVoter()} of every node
   */
  void format(String clusterId, String initialVoters) throws IOException {
    Path propertiesFile = directory.resolve("server.properties");
    Files.createDirectories(directory);
    try (OutputStream out = Files.newOutputStream(propertiesFile)) {
      config.store(out, "StreamInfer embedded node " + nodeId);
    }
    List<String> args =
        new ArrayList<>(
            List.of("format", "--config", propertiesFile.toString(), "--cluster-id", clusterId));
    if (initialVoters == null) {
      args.add("--standalone");
    } else {
      args.add("--initial-controllers");
      args.add(initialVoters);
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exitCode;
    try (PrintStream printStream = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      exitCode = StorageTool.execute(args.toArray(String[]::new), printStream);
    }
    if (exitCode != 0) {
      throw new IllegalStateException(
          "Formatting storage of node "
              + nodeId
              + " failed with exit code "
              + exitCode
              + ": "
              + output.toString(StandardCharsets.UTF_8));
    }
  }

  /** Starts the server; returns once the broker has caught up with the metadata log. */
  void start() {
    if (server != null) {
      throw new IllegalStateException("Node " + nodeId + " is already running");
    }
    KafkaRaftServer started = new KafkaRaftServer(new KafkaConfig(config, false), Time.SYSTEM);
    started.startup();
    server = started;
  }

  /** Shuts the server down and waits for it; does nothing when it is not running. */
  void stop() {
    if (server == null) {
      return;
    }
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      server = null;
    }
  }

  boolean isRunning() {
    return server != null;
  }
}

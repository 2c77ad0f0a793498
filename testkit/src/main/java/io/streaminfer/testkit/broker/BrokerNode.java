package io.streaminfer.testkit.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kafka.server.BrokerServer;
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

  /** The longest a broker waits for its controlled shutdown to be approved. */
  static final Duration BROKER_SHUTDOWN = Duration.ofSeconds(30);

  private final int nodeId;
  private final int brokerPort;
  private final int controllerPort;
  private final Path directory;
  private final Uuid metadataDirectoryId = Uuid.randomUuid();
  private final Properties config = new Properties();
  private KafkaRaftServer server;

  /** More client listeners: name → (security protocol, port). */
  private final Map<String, Map.Entry<String, Integer>> extraListeners = new LinkedHashMap<>();

  BrokerNode(int nodeId, int brokerPort, int controllerPort, Path directory) {
    this.nodeId = nodeId;
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
    this.directory = directory;
  }

  /** Adds a client listener {@code name} speaking {@code protocol} on {@code port}. */
  void addListener(String name, String protocol, int port) {
    extraListeners.put(name, Map.entry(protocol, port));
  }

  /** The address of listener {@code name}: the PLAINTEXT broker listener or an added one. */
  String address(String name) {
    if (name.equals(BROKER_LISTENER)) {
      return brokerAddress();
    }
    Map.Entry<String, Integer> l = extraListeners.get(name);
    if (l == null) {
      throw new IllegalArgumentException("Node " + nodeId + " has no listener " + name);
    }
    return HOST + ":" + l.getValue();
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
    StringBuilder listeners =
        new StringBuilder(
            BROKER_LISTENER
                + "://"
                + brokerAddress()
                + ","
                + CONTROLLER_LISTENER
                + "://"
                + controllerAddress());
    StringBuilder advertised = new StringBuilder(BROKER_LISTENER + "://" + brokerAddress());
    StringBuilder protocols = new StringBuilder("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    for (var l : extraListeners.entrySet()) {
      listeners.append(',').append(l.getKey()).append("://").append(address(l.getKey()));
      advertised.append(',').append(l.getKey()).append("://").append(address(l.getKey()));
      protocols.append(',').append(l.getKey()).append(':').append(l.getValue().getKey());
    }
    config.put("listeners", listeners.toString());
    config.put("advertised.listeners", advertised.toString());
    config.put("listener.security.protocol.map", protocols.toString());
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
      stopBrokerRole();
      server.shutdown();
      server.awaitShutdown();
    } finally {
      server = null;
    }
  }

  /**
   * Shuts down the broker role alone, leaving the controller (and this node's quorum vote) up; the
   * cluster calls it on every node before {@link #stop()} so that each broker's controlled shutdown
   * is approved by a quorum that is still there. A broker that asks once the other nodes'
   * controllers have gone waits out Kafka's five-minute default; here it waits {@link
   * #BROKER_SHUTDOWN} at most. Does nothing when the server is not running or its broker role is
   * already down.
   */
  void stopBrokerRole() {
    if (server == null) {
      return;
    }
    BrokerServer broker = brokerOf(server);
    if (broker != null) {
      broker.shutdown(BROKER_SHUTDOWN);
      broker.awaitShutdown();
    }
  }

  /**
   * The broker role inside a combined {@link KafkaRaftServer}, which keeps it private; {@code null}
   * when this Kafka release names it otherwise, and then {@link #stop()} falls back to the whole
   * server's own shutdown.
   */
  private static BrokerServer brokerOf(KafkaRaftServer server) {
    try {
      Method accessor = KafkaRaftServer.class.getDeclaredMethod("broker");
      accessor.setAccessible(true);
      Object option = accessor.invoke(server);
      return option instanceof scala.Option<?> o
              && o.isDefined()
              && o.get() instanceof BrokerServer b
          ? b
          : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  boolean isRunning() {
    return server != null;
  }
}

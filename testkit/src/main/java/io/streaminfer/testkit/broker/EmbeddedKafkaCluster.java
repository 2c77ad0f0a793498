package io.streaminfer.testkit.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * Apache Kafka's own KRaft broker, run in this JVM: one or three combined broker+controller nodes,
 * for StreamInfer's demo and integration tests.
 *
 * <p>Every listener binds 127.0.0.1 on a free port. Storage lives in a fresh temporary directory
 * that {@link #close()} deletes. With three nodes, topics default to replication factor 3 and
 * {@code min.insync.replicas} 2, so one node can be stopped without losing writes. Automatic topic
 * creation is off: create topics with {@link #createTopics}.
 *
 * <pre>{@code
 * try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(1)) {
 *   kafka.createTopics(3, "images", "image-predictions");
 *   props.put("bootstrap.servers", kafka.bootstrapServers());
 *   ...
 * }
 * }</pre>
 *
 * <p>The cluster owns its servers and directory; methods are synchronized.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

  private final Path directory;
  private final String clusterId;
  private final List<BrokerNode> nodes;
  private final boolean ownsDirectory;
  private boolean closed;

  private EmbeddedKafkaCluster(
      Path directory, String clusterId, List<BrokerNode> nodes, boolean ownsDirectory) {
    this.directory = directory;
    this.clusterId = clusterId;
    this.nodes = nodes;
    this.ownsDirectory = ownsDirectory;
  }

  /**
   * Starts a single-node cluster and returns once it accepts clients.
   *
   * @return the running cluster; the caller closes it
   */
  public static EmbeddedKafkaCluster start() {
    return start(1);
  }

  /**
   * Starts a cluster of {@code size} combined broker+controller nodes and returns once every broker
   * accepts clients.
   *
   * @param size 1 or 3
   * @return the running cluster; the caller closes it
   */
  public static EmbeddedKafkaCluster start(int size) {
    return start(size, Map.of());
  }

  /**
   * Starts a cluster of {@code size} nodes with broker configuration {@code overrides} applied to
   * every node on top of the defaults, and returns once every broker accepts clients.
   *
   * @param size 1 or 3
   * @param overrides Kafka broker configuration, e.g. {@code auto.create.topics.enable}
   * @return the running cluster; the caller closes it
   * @throws IllegalArgumentException if {@code size} is neither 1 nor 3
   * @throws IllegalStateException if the nodes cannot be formatted or do not start in time
   */
  public static EmbeddedKafkaCluster start(int size, Map<String, String> overrides) {
    return start(size, overrides, Map.of());
  }

  /**
   * Starts a cluster of {@code size} nodes with broker configuration {@code overrides} and, next to
   * the PLAINTEXT listener, a client listener per entry of {@code listeners} (name → security
   * protocol, e.g. {@code SECURE → SASL_SSL}) on a free port of 127.0.0.1 (see {@link
   * #bootstrapServers(String)}); the listener's own settings go in {@code overrides} as {@code
   * listener.name.<name in lower case>.*}. Inter-broker and controller traffic stays on PLAINTEXT.
   *
   * @param size 1 or 3
   * @param overrides Kafka broker configuration
   * @param listeners more client listeners, name → security protocol
   * @return the running cluster; the caller closes it
   */
  public static EmbeddedKafkaCluster start(
      int size, Map<String, String> overrides, Map<String, String> listeners) {
    if (size != 1 && size != 3) {
      throw new IllegalArgumentException("Cluster size must be 1 or 3, got " + size);
    }
    Path directory;
    try {
      directory = Files.createTempDirectory("streaminfer-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the cluster's storage directory", e);
    }
    List<BrokerNode> nodes = new ArrayList<>();
    int perNode = 2 + listeners.size();
    int[] ports = freePorts(perNode * size);
    for (int id = 0; id < size; id++) {
      BrokerNode node =
          new BrokerNode(
              id, ports[perNode * id], ports[perNode * id + 1], directory.resolve("node-" + id));
      int k = 2;
      for (var l : listeners.entrySet()) {
        node.addListener(l.getKey(), l.getValue(), ports[perNode * id + k++]);
      }
      nodes.add(node);
    }
    EmbeddedKafkaCluster cluster =
        new EmbeddedKafkaCluster(directory, Uuid.randomUuid().toString(), nodes, true);
    try {
      cluster.formatAndStart(overrides);
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * Starts one node for a person trying StreamInfer out ({@code streaminfer broker}): the broker on
   * 127.0.0.1:{@code port} (0: a free port), its storage in {@code dataDir}, which is kept on
   * {@link #close()} so that topics and records survive a restart with the same directory (and
   * port). With {@code dataDir} null the storage is a temporary directory deleted on close.
   *
   * @return the running cluster; the caller closes it
   * @throws IllegalStateException if the node cannot be formatted or does not start in time
   */
  public static EmbeddedKafkaCluster startLocal(int port, Path dataDir) {
    Path directory;
    try {
      directory =
          dataDir == null
              ? Files.createTempDirectory("streaminfer-kafka-")
              : Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the broker's storage directory " + dataDir, e);
    }
    Path nodeDir = directory.resolve("node-0");
    Properties before = new Properties();
    Path meta = nodeDir.resolve("data").resolve("meta.properties");
    boolean formatted = Files.isRegularFile(meta);
    if (formatted) {
      try (var in = Files.newInputStream(meta);
          var server = Files.newInputStream(nodeDir.resolve("server.properties"))) {
        before.load(in);
        before.load(server);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the broker's storage in " + nodeDir, e);
      }
    }
    String listeners = before.getProperty("listeners", "");
    int[] fresh = freePorts(2);
    int controllerPort =
        formatted && listeners.contains(BrokerNode.CONTROLLER_LISTENER + "://")
            ? Integer.parseInt(
                listeners.replaceAll(
                    ".*" + BrokerNode.CONTROLLER_LISTENER + "://[^:]+:([0-9]+).*", "$1"))
            : fresh[1];
    int brokerPort = port != 0 ? port : fresh[0] != controllerPort ? fresh[0] : fresh[1];
    BrokerNode node = new BrokerNode(0, brokerPort, controllerPort, nodeDir);
    String clusterId = formatted ? before.getProperty("cluster.id") : Uuid.randomUuid().toString();
    EmbeddedKafkaCluster cluster =
        new EmbeddedKafkaCluster(directory, clusterId, List.of(node), dataDir == null);
    try {
      node.configure(node.controllerAddress(), 1, Map.of());
      if (!formatted) {
        node.format(clusterId, null);
      }
      node.start();
      cluster.awaitBrokers(1);
    } catch (IOException e) {
      cluster.close();
      throw new UncheckedIOException("Cannot format the broker's storage in " + nodeDir, e);
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private void formatAndStart(Map<String, String> overrides) {
    String quorum =
        nodes.stream().map(BrokerNode::controllerAddress).collect(Collectors.joining(","));
    String initialVoters =
        nodes.size() == 1
            ? null
            : nodes.stream().map(BrokerNode::initialVoter).collect(Collectors.joining(","));
    for (BrokerNode node : nodes) {
      node.configure(quorum, nodes.size(), overrides);
      try {
        node.format(clusterId, initialVoters);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot format node " + node.nodeId(), e);
      }
    }
    // A node's startup waits for a controller quorum, so the nodes start together.
    onEveryNode(BrokerNode::start);
    awaitBrokers(nodes.size());
  }

  /** Returns the {@code bootstrap.servers} of the running brokers, e.g. {@code 127.0.0.1:41234}. */
  public synchronized String bootstrapServers() {
    return nodes.stream()
        .filter(BrokerNode::isRunning)
        .map(BrokerNode::brokerAddress)
        .collect(Collectors.joining(","));
  }

  /** The {@code bootstrap.servers} of listener {@code name} of the running brokers. */
  public synchronized String bootstrapServers(String name) {
    return nodes.stream()
        .filter(BrokerNode::isRunning)
        .map(n -> n.address(name))
        .collect(Collectors.joining(","));
  }

  /** Returns the number of nodes, running or stopped. */
  public int size() {
    return nodes.size();
  }

  /** Returns the cluster id the storage was formatted with. */
  public String clusterId() {
    return clusterId;
  }

  /**
   * Creates topics with {@code partitions} partitions each, replicated to every node, and waits
   * until they exist.
   *
   * @param partitions partitions per topic
   * @param names topic names
   */
  public void createTopics(int partitions, String... names) {
    short replication = (short) nodes.size();
    createTopics(
        Arrays.stream(names).map(name -> new NewTopic(name, partitions, replication)).toList());
  }

  /**
   * Creates the given topics and waits until they exist.
   *
   * @param topics the topics, with partitions, replication and configuration
   * @throws IllegalStateException if creation fails, e.g. a topic already exists
   */
  public void createTopics(Collection<NewTopic> topics) {
    try (Admin admin = Admin.create(adminConfig())) {
      admin.createTopics(topics).all().get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      awaitLeaders(topics.stream().map(NewTopic::name).toList());
    } catch (ExecutionException e) {
      throw new IllegalStateException("Cannot create topics " + topics + ": " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Timed out creating topics " + topics, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted creating topics " + topics, e);
    }
  }

  /**
   * Shuts node {@code index} down (broker and controller), keeping its storage for {@link
   * #restartBroker}. In a three-node cluster the other two keep the quorum and the data.
   *
   * @param index 0 to {@code size() - 1}
   */
  public synchronized void stopBroker(int index) {
    node(index).stop();
  }

  /**
   * Starts node {@code index} again from its storage and waits until it rejoins the cluster.
   *
   * @param index 0 to {@code size() - 1}
   */
  public synchronized void restartBroker(int index) {
    BrokerNode node = node(index);
    node.start();
    awaitBrokers((int) nodes.stream().filter(BrokerNode::isRunning).count());
  }

  /**
   * Stops every node and deletes the storage directory unless the caller gave it. Safe to call
   * twice.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // brokers first, all at once, while every controller still votes; then the controllers
      onEveryNode(BrokerNode::stopBrokerRole);
      onEveryNode(BrokerNode::stop);
    } finally {
      if (ownsDirectory) {
        deleteRecursively(directory);
      }
    }
  }

  private BrokerNode node(int index) {
    if (index < 0 || index >= nodes.size()) {
      throw new IndexOutOfBoundsException(
          "Node index must be in [0, " + nodes.size() + "), got " + index);
    }
    if (closed) {
      throw new IllegalStateException("The cluster is closed");
    }
    return nodes.get(index);
  }

  private Properties adminConfig() {
    Properties config = new Properties();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return config;
  }

  /**
   * Waits until every running broker's own metadata has a leader for every partition of {@code
   * topics}. The controller acknowledges a creation before the brokers apply it; a producer that
   * writes at once can see its first request refused by a broker that has not, and its next ones
   * answered OUT_OF_ORDER_SEQUENCE_NUMBER and retried (KAFKA-15591) — noise in every newcomer's
   * console, and on releases without that fix a risk to the first records.
   */
  private void awaitLeaders(List<String> topics)
      throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    for (BrokerNode node : nodes) {
      if (!node.isRunning()) {
        continue;
      }
      Properties one = new Properties();
      one.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node.brokerAddress());
      try (Admin admin = Admin.create(one)) {
        while (true) {
          boolean ready;
          try {
            ready =
                admin
                    .describeTopics(topics)
                    .allTopicNames()
                    .get(10, TimeUnit.SECONDS)
                    .values()
                    .stream()
                    .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null));
          } catch (ExecutionException e) {
            ready = false; // not known to this broker yet
          }
          if (ready) {
            break;
          }
          if (System.nanoTime() > deadline) {
            throw new TimeoutException("topics " + topics + " have no leaders on " + node);
          }
          Thread.sleep(20);
        }
      }
    }
  }

  /** Waits until the cluster's metadata lists {@code expected} brokers. */
  private void awaitBrokers(int expected) {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    try (Admin admin = Admin.create(adminConfig())) {
      while (true) {
        int seen = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
        if (seen >= expected) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Only " + seen + " of " + expected + " brokers joined within " + STARTUP_TIMEOUT);
        }
        Thread.sleep(100);
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("The cluster did not answer describeCluster", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted waiting for brokers", e);
    }
  }

  /** Runs {@code action} on every node at once, one thread each, and waits for all. */
  private void onEveryNode(Consumer<BrokerNode> action) {
    ExecutorService threads = Executors.newFixedThreadPool(nodes.size());
    try {
      List<Future<?>> futures =
          nodes.stream().<Future<?>>map(node -> threads.submit(() -> action.accept(node))).toList();
      long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
      for (Future<?> future : futures) {
        future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("A Kafka node failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka nodes did not finish within " + STARTUP_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted waiting for Kafka nodes", e);
    } finally {
      threads.shutdownNow();
    }
  }

  /**
   * {@code n} distinct free ports: every socket is held open until all are chosen, so two calls in
   * a row cannot hand out the same port (two listeners on one port fail the broker's start).
   */
  private static int[] freePorts(int n) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(BrokerNode.HOST));
        held.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("No free port on " + BrokerNode.HOST, e);
    } finally {
      for (ServerSocket socket : held) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing a listening socket we opened; nothing to recover
        }
      }
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + root, e);
    }
  }
}

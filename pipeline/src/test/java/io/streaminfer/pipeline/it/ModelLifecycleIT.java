package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.ReliabilityReport;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestRepository;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.cli.StreamInferCli;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.model.ControlClient;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelState;
import io.streaminfer.schemas.ModelStatus;
import io.streaminfer.schemas.ModelVersion;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Models changed while serving, on a real broker under exactly_once_v2: {@code model deploy
 * --serve} swaps two instances to a new version under steady load on every route, losing and
 * duplicating nothing, each image partition's outputs switching version once in offset order;
 * tampered and misshapen artifacts are refused with the file named while the old version serves; an
 * instance started after three changes serves what its peer serves. Figures go to
 * target/reliability/model-lifecycle.json.
 */
class ModelLifecycleIT {
  @TempDir Path repo;
  @TempDir Path stateA;
  @TempDir Path stateB;

  private static final String APP = "lifecycle";

  private StreamInferConfig config(String bootstrap, String instance, Path state) {
    return TestConfigs.config(
        Map.of(
            StreamInferConfig.BOOTSTRAP_SERVERS,
            bootstrap,
            StreamInferConfig.APPLICATION_ID,
            APP,
            StreamInferConfig.PROCESSING_GUARANTEE,
            "exactly_once_v2",
            StreamInferConfig.MODELS_REPOSITORY,
            repo.toString(),
            StreamInferConfig.MODELS_PIN,
            "digits-cnn:1",
            StreamInferConfig.STATE_DIR,
            state.toString(),
            StreamInferConfig.INSTANCE_ID,
            instance,
            "kafka.commit.interval.ms",
            "200"));
  }

  /** Runs {@code streaminfer model ...} in this JVM; returns its exit code. */
  private int cli(String bootstrap, String... args) {
    List<String> all = new ArrayList<>(List.of("model"));
    all.addAll(List.of(args));
    all.addAll(
        List.of(
            "-b",
            bootstrap,
            "-s",
            StreamInferConfig.MODELS_REPOSITORY + "=" + repo,
            "-s",
            StreamInferConfig.MODELS_PIN + "=digits-cnn:1"));
    return new CommandLine(new StreamInferCli()).execute(all.toArray(String[]::new));
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void shouldSwapEveryInstanceUnderLoadLosingNothing() throws Exception {
    TestRepository.copy(repo);
    TestTopics topics = TestTopics.of(TestConfigs.config(Map.of()));
    SampleEvents.Stream stream =
        SampleEvents.build(SampleData.load(), topics.inputs(), 2_400, 240, 60, 120, 2, false, 5);
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(4, topics.all().toArray(String[]::new));
      Ledger ledger = new Ledger();
      try (StreamInferApp a = start(bootstrap, "instance-a", stateA);
          StreamInferApp b = start(bootstrap, "instance-b", stateB);
          OutputCollector out = new OutputCollector(bootstrap, topics.config(), Map.of())) {
        assertThat(a.awaitRunning(Duration.ofSeconds(90))).isTrue();
        assertThat(b.awaitRunning(Duration.ofSeconds(90))).isTrue();

        // given: steady load on every route (~150 events/s for ~19 s)
        Ledger.Publisher load = ledger.publishInBackground(bootstrap, stream.events(), 15, 100);
        Thread.sleep(8_000);

        // when: digits-cnn:2 is trained into the repository and deployed to serve
        TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "2");
        long t0 = System.nanoTime();
        int exit = cli(bootstrap, "deploy", "images", "digits-cnn:2", "--serve", "--wait", "60");
        double swapSeconds = (System.nanoTime() - t0) / 1e9;
        assertThat(exit).as("every instance answered and serves it").isZero();
        long control = latestControl(bootstrap, "images");
        load.await(Duration.ofSeconds(120));
        awaitEveryOutput(ledger, out, topics);

        // then: nothing lost or duplicated on any route
        Ledger.Accounting acc = ledger.account(out, topics);
        assertThat(acc.lost()).isZero();
        assertThat(acc.duplicated()).isZero();
        assertThat(acc.untraced()).isZero();

        // each image prediction names one version; per partition, in offset order, the version
        // switches once, from 1 (no control record) to 2 (under the deploy's record)
        Map<Integer, TreeMap<Long, Classification>> byPartition = imagePredictions(bootstrap);
        Map<String, Integer> perVersion = new TreeMap<>();
        for (var e : byPartition.values()) {
          for (Classification c : e.values()) {
            String v = c.getMetadata().getModelVersion();
            perVersion.merge(v, 1, Integer::sum);
            assertThat(c.getMetadata().getControlOffset()).isEqualTo(v.equals("2") ? control : -1);
          }
        }
        int switched = switchesForward(byPartition);
        assertThat(perVersion.keySet()).containsExactly("1", "2");

        // and both instances say so on the status topic
        Map<String, ModelStatus> images = statuses(a, "images");
        assertThat(images.keySet()).containsExactlyInAnyOrder("instance-a", "instance-b");
        for (ModelStatus s : images.values()) {
          assertThat(s.getState()).isEqualTo(ModelState.SERVING);
          assertThat(s.getServing()).isEqualTo("digits-cnn:2");
          assertThat(s.getAppliedOffset()).isEqualTo(control);
        }
        assertThat(a.metrics().control("images", "applied")).isEqualTo(1);

        Map<String, Object> figures = new LinkedHashMap<>(acc.asMap());
        figures.put("instances", 2);
        figures.put("seconds_from_deploy_to_every_instance_serving", swapSeconds);
        figures.put("image_predictions_per_version", perVersion);
        figures.put("image_partitions_switched", switched);
        ReliabilityReport.write("model-lifecycle", figures);
        System.out.println("model-lifecycle " + figures);
      }
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void shouldRefuseBadArtifactsAndConvergeAnInstanceStartedLater() throws Exception {
    TestRepository.copy(repo);
    TestTopics topics = TestTopics.of(TestConfigs.config(Map.of()));
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(2, topics.all().toArray(String[]::new));
      try (StreamInferApp a = start(bootstrap, "instance-a", stateA)) {
        assertThat(a.awaitRunning(Duration.ofSeconds(90))).isTrue();
        Properties client = client(bootstrap);

        // a tampered artifact: refused, naming the file; digits-cnn:1 keeps serving
        Path tampered = TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "3");
        ModelVersion v3 = version("digits-cnn", "3");
        TestRepository.tamper(tampered);
        long off3 = ControlClient.write(client, "model-control", "images", serving(v3));
        ModelStatus s3 = awaitStatus(a, "instance-a", "images", off3);
        assertThat(s3.getState()).isEqualTo(ModelState.REFUSED);
        assertThat(s3.getReason()).contains(tampered.resolve("model.onnx").toString());
        assertThat(s3.getServing()).isEqualTo("digits-cnn:1");

        // a card that disagrees with its graph: refused, naming the file
        Path misshapen = TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "4");
        TestRepository.misshapeInput(misshapen, 2, 28);
        long off4 = cliOffset(bootstrap, a, "deploy", "images", "digits-cnn:4", "--serve");
        ModelStatus s4 = awaitStatus(a, "instance-a", "images", off4);
        assertThat(s4.getState()).isEqualTo(ModelState.REFUSED);
        assertThat(s4.getReason()).contains(misshapen.resolve("model.onnx").toString());
        assertThat(a.metrics().control("images", "refused")).isEqualTo(2);

        // three changes: digits-cnn:2 serves, :5 is deployed, then takes a 10 % canary
        TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "2");
        TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "5");
        cliOffset(bootstrap, a, "deploy", "images", "digits-cnn:2", "--serve");
        cliOffset(bootstrap, a, "deploy", "images", "digits-cnn:5");
        long last = cliOffset(bootstrap, a, "canary", "images", "digits-cnn:5", "--share", "0.1");
        ModelStatus sa = awaitStatus(a, "instance-a", "images", last);
        assertThat(sa.getState()).isEqualTo(ModelState.SERVING);
        assertThat(sa.getServing()).isEqualTo("digits-cnn:2");
        assertThat(sa.getCanary()).isEqualTo("digits-cnn:5");
        assertThat(sa.getReason()) // the refused versions stay in the record, not loaded
            .contains("digits-cnn:3 not loaded")
            .contains("digits-cnn:4 not loaded");

        // when: the bad artifacts are removed (start-up refuses a repository holding a tampered
        // file) and a second instance starts after the changes
        deleteTree(tampered);
        deleteTree(misshapen);
        try (StreamInferApp b = start(bootstrap, "instance-b", stateB)) {
          // then: it serves what its peer serves from its start
          ModelStatus sb = awaitStatus(a, "instance-b", "images", last);
          assertThat(sb.getServing()).isEqualTo(sa.getServing());
          assertThat(sb.getCanary()).isEqualTo(sa.getCanary());
          assertThat(sb.getCanaryShare()).isEqualTo(sa.getCanaryShare());
          assertThat(sb.getShadow()).isEqualTo(sa.getShadow());
          assertThat(sb.getAppliedOffset()).isEqualTo(sa.getAppliedOffset());
          assertThat(sb.getState()).isEqualTo(ModelState.SERVING);
          assertThat(sb.getReason()).contains("digits-cnn:3 not loaded"); // its files are gone
          assertThat(List.copyOf(sb.getLoaded())).isEqualTo(List.copyOf(sa.getLoaded()));
          assertThat(b.models().serving("images").ids())
              .isEqualTo(a.models().serving("images").ids());
          System.out.println("instance states: a=" + sa + " b=" + sb);
        }
        // a clean stop takes the instance off the status table; its peer stays
        long gone = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (statuses(a, "images").containsKey("instance-b") && System.nanoTime() < gone) {
          Thread.sleep(200);
        }
        assertThat(statuses(a, "images").keySet()).containsExactly("instance-a");
      }
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void shouldServeAVersionPublishedIntoKafkaWithoutASharedRepository(@TempDir Path operator)
      throws Exception {
    // given: the instance's repository lacks digits-cnn:2; only the operator's has it
    TestRepository.copy(repo);
    TestRepository.copy(operator);
    Path v2 = TestRepository.addVersion(operator, "digits-cnn", "1", "digits-cnn", "2");
    TestTopics topics = TestTopics.of(TestConfigs.config(Map.of()));
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(2, topics.all().toArray(String[]::new));
      try (StreamInferApp a = start(bootstrap, "instance-a", stateA)) {
        assertThat(a.awaitRunning(Duration.ofSeconds(90))).isTrue();

        // when: the operator publishes it with the control record
        int exit =
            new CommandLine(new StreamInferCli())
                .execute(
                    "model",
                    "deploy",
                    "images",
                    "digits-cnn:2",
                    "--serve",
                    "--publish",
                    "--wait",
                    "60",
                    "-b",
                    bootstrap,
                    "-s",
                    StreamInferConfig.MODELS_REPOSITORY + "=" + operator,
                    "-s",
                    StreamInferConfig.MODELS_PIN + "=digits-cnn:1");

        // then: the instance fetched the files (two chunks of model.onnx among them) and serves it
        assertThat(exit).isZero();
        assertThat(repo.resolve("digits-cnn/2")).doesNotExist();
        Path served = a.models().serving("images").primary().model().artifact().directory();
        assertThat(a.models().serving("images").primary().model().card().id())
            .isEqualTo("digits-cnn:2");
        assertThat(served).startsWith(stateA.resolve("model-artifacts"));
        assertThat(java.nio.file.Files.readAllBytes(served.resolve("model.onnx")))
            .isEqualTo(java.nio.file.Files.readAllBytes(v2.resolve("model.onnx")));

        // and a record naming something that is no manifest is refused, naming the offset
        ModelVersion chunk =
            ModelVersion.newBuilder(TestRepository.version(operator, "digits-cnn", "2"))
                .setVersion("7") // not loaded: the instance must fetch it
                .setArtifact("kafka:0")
                .build();
        long off =
            ControlClient.write(client(bootstrap), "model-control", "images", serving(chunk));
        ModelStatus refused = awaitStatus(bootstrap, "instance-a", "images", off);
        assertThat(refused.getState()).isEqualTo(ModelState.REFUSED);
        assertThat(refused.getReason()).contains("offset 0 holds no artifact manifest");
      }
    }
  }

  @Test
  @Timeout(value = 360, unit = TimeUnit.SECONDS)
  void shouldLoseNothingWhenAnInstanceIsKilledDuringASwap() throws Exception {
    TestRepository.copy(repo);
    TestTopics topics = TestTopics.of(TestConfigs.config(Map.of()));
    SampleEvents.Stream stream =
        SampleEvents.build(SampleData.load(), topics.inputs(), 2_400, 120, 40, 60, 2, false, 9);
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(4, topics.all().toArray(String[]::new));
      Ledger ledger = new Ledger();
      Path log = PipelineProcess.logFile("lifecycle-kill").toPath();
      try (OutputCollector out = new OutputCollector(bootstrap, topics.config(), Map.of());
          PipelineProcess a = PipelineProcess.start(bootstrap, settings("kill-a", stateA), log);
          PipelineProcess b = PipelineProcess.start(bootstrap, settings("kill-b", stateB), log)) {
        awaitMembers(bootstrap, APP + "-kill", 2, a, b);
        Ledger.Publisher load = ledger.publishInBackground(bootstrap, stream.events(), 15, 100);
        Thread.sleep(6_000);

        // when: digits-cnn:2 is deployed to serve and instance A dies while swapping
        TestRepository.addVersion(repo, "digits-cnn", "1", "digits-cnn", "2");
        assertThat(cli(bootstrap, "deploy", "images", "digits-cnn:2", "--serve")).isZero();
        long control = latestControl(bootstrap, "images");
        Thread.sleep(300);
        a.kill();
        load.await(Duration.ofSeconds(120));
        awaitEveryOutput(ledger, out, topics);

        // then: nothing lost or duplicated; B took A's partitions and serves v2 on all of them
        Ledger.Accounting acc = ledger.account(out, topics);
        assertThat(b.alive()).isTrue();
        assertThat(acc.lost()).isZero();
        assertThat(acc.duplicated()).isZero();
        int switches = switchesForward(imagePredictions(bootstrap));
        ModelStatus sb = awaitStatus(bootstrap, "kill-b", "images", control);
        assertThat(sb.getServing()).isEqualTo("digits-cnn:2");
        Map<String, Object> figures = new LinkedHashMap<>(acc.asMap());
        figures.put("killed", "instance A, 300 ms after the deploy record");
        figures.put("image_partitions_switched", switches);
        ReliabilityReport.write("model-lifecycle-kill", figures);
        System.out.println("model-lifecycle-kill " + figures);
      }
    }
  }

  private Map<String, String> settings(String instance, Path state) {
    Map<String, String> m = new HashMap<>();
    m.put(StreamInferConfig.APPLICATION_ID, APP + "-kill");
    m.put(StreamInferConfig.PROCESSING_GUARANTEE, "exactly_once_v2");
    m.put(StreamInferConfig.MODELS_REPOSITORY, repo.toString());
    m.put(StreamInferConfig.MODELS_PIN, "digits-cnn:1");
    m.put(StreamInferConfig.INFERENCE_DEVICE, "cpu");
    m.put(StreamInferConfig.STATE_DIR, state.toString());
    m.put(StreamInferConfig.INSTANCE_ID, instance);
    m.put("kafka.client.id", instance);
    m.put("kafka.session.timeout.ms", "6000");
    m.put("kafka.heartbeat.interval.ms", "1000");
    m.put("kafka.commit.interval.ms", "200");
    return m;
  }

  /** Waits until the group has {@code n} members, each holding partitions. */
  private static void awaitMembers(
      String bootstrap, String group, int n, PipelineProcess... processes) throws Exception {
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(client(bootstrap))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline) {
        for (PipelineProcess p : processes) {
          assertThat(p.alive()).as("instance alive (see target/lifecycle-kill.log)").isTrue();
        }
        try {
          var members =
              admin.describeConsumerGroups(List.of(group)).all().get().get(group).members();
          if (members.size() == n
              && members.stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
            return;
          }
        } catch (java.util.concurrent.ExecutionException notYet) {
          // the group is not formed yet
        }
        Thread.sleep(500);
      }
      throw new AssertionError("group " + group + " never had " + n + " members with partitions");
    }
  }

  private static long latestControl(String bootstrap, String route) {
    return ControlClient.controls(client(bootstrap), "model-control", Duration.ofSeconds(30))
        .get(route)
        .offset();
  }

  /**
   * Checks that each partition's image predictions, in offset order, switch at most once, from
   * version 1 to 2, and end on 2; returns the switches.
   */
  private static int switchesForward(Map<Integer, TreeMap<Long, Classification>> byPartition) {
    int switched = 0;
    for (var e : byPartition.entrySet()) {
      String last = null;
      int switches = 0;
      for (Classification c : e.getValue().values()) {
        String v = c.getMetadata().getModelVersion();
        if (last != null && !last.equals(v)) {
          switches++;
          assertThat(v).as("partition %d switches to the new version", e.getKey()).isEqualTo("2");
        }
        last = v;
      }
      assertThat(switches).as("switches on partition %d", e.getKey()).isLessThanOrEqualTo(1);
      assertThat(last).as("partition %d ends on the new version", e.getKey()).isEqualTo("2");
      switched += switches;
    }
    return switched;
  }

  /** Reads until every published input has its outputs, then a little longer (duplicates). */
  private static void awaitEveryOutput(Ledger ledger, OutputCollector out, TestTopics topics) {
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    while (System.nanoTime() < deadline && ledger.pendingInputs(out, topics) > 0) {
      out.poll(Duration.ofMillis(250));
    }
    for (int i = 0; i < 8; i++) {
      out.poll(Duration.ofMillis(250));
    }
  }

  /** Runs a CLI change and returns the offset of the record it wrote. */
  private long cliOffset(String bootstrap, StreamInferApp app, String... args) {
    assertThat(cli(bootstrap, args)).as(String.join(" ", args)).isZero();
    return ControlClient.controls(client(bootstrapOf(app)), "model-control", Duration.ofSeconds(30))
        .get(args[1])
        .offset();
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (var files = java.nio.file.Files.walk(dir)) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(f);
      }
    }
  }

  private static Properties client(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return p;
  }

  private final Map<StreamInferApp, String> bootstraps = new HashMap<>();

  private String bootstrapOf(StreamInferApp app) {
    return bootstraps.get(app);
  }

  private StreamInferApp start(String bootstrap, String instance, Path state) {
    StreamInferApp app = StreamInferApp.start(config(bootstrap, instance, state));
    bootstraps.put(app, bootstrap);
    return app;
  }

  private ModelVersion version(String name, String v) {
    return TestRepository.version(repo, name, v);
  }

  private static ModelControl serving(ModelVersion v) {
    return ModelControl.newBuilder()
        .setRoute("images")
        .setServing(v)
        .setOperation("test")
        .setIssuedAt(Instant.now())
        .build();
  }

  private Map<String, ModelStatus> statuses(StreamInferApp app, String route) {
    return statuses(bootstrapOf(app), route);
  }

  private static Map<String, ModelStatus> statuses(String bootstrap, String route) {
    Map<String, ModelStatus> out = new HashMap<>();
    ControlClient.statuses(client(bootstrap), "model-status", Duration.ofSeconds(30))
        .values()
        .forEach(
            s -> {
              if (s.value().getRoute().equals(route)) {
                out.put(s.value().getInstance(), s.value());
              }
            });
    return out;
  }

  private ModelStatus awaitStatus(StreamInferApp app, String instance, String route, long offset)
      throws InterruptedException {
    return awaitStatus(bootstrapOf(app), instance, route, offset);
  }

  private static ModelStatus awaitStatus(
      String bootstrap, String instance, String route, long offset) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      ModelStatus s = statuses(bootstrap, route).get(instance);
      if (s != null && s.getControlOffset() >= offset) {
        return s;
      }
      assertThat(System.nanoTime())
          .as("status of %s for record %d", instance, offset)
          .isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  /** Every image prediction (read_committed), by source partition and offset. */
  private static Map<Integer, TreeMap<Long, Classification>> imagePredictions(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "lifecycle-check-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<Integer, TreeMap<Long, Classification>> out = new TreeMap<>();
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of("image-predictions"));
      int quiet = 0;
      while (quiet < 8) {
        var records = c.poll(Duration.ofMillis(500));
        quiet = records.isEmpty() ? quiet + 1 : 0;
        for (ConsumerRecord<String, byte[]> r : records) {
          int partition =
              Integer.parseInt(DeadLetters.header(r.headers(), DeadLetters.SOURCE_PARTITION));
          long offset = Long.parseLong(DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET));
          Classification cl =
              AvroSerdes.serde(Classification.class)
                  .deserializer()
                  .deserialize(r.topic(), r.value());
          Classification before =
              out.computeIfAbsent(partition, k -> new TreeMap<>()).put(offset, cl);
          assertThat(before).as("one prediction of images/%d/%d", partition, offset).isNull();
        }
      }
    }
    return out;
  }
}

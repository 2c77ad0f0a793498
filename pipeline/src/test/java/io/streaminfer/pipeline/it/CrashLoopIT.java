package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.ReliabilityReport;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The crash test: while a few thousand events of all four kinds (the bad-input catalogue among
 * them) are published, the pipeline — a separate JVM — is killed with SIGKILL at random moments 20
 * times and restarted each time on the same state directory, the way a supervisor restarts a
 * crashed machine. Afterwards every input is accounted for through the lineage headers of the
 * committed outputs: under exactly_once_v2 each valid input has exactly its predictions and each
 * invalid one exactly one dead letter; under at_least_once nothing is missing and the duplicates
 * are counted. Figures go to target/reliability/crash-{guarantee}.json.
 */
class CrashLoopIT {
  private static final int CRASHES = 20;

  @TempDir Path state;

  @ParameterizedTest
  @ValueSource(strings = {"exactly_once_v2", "at_least_once"})
  @Timeout(value = 600, unit = TimeUnit.SECONDS)
  void shouldLoseNothingThroughRepeatedSigkills(String guarantee) throws Exception {
    long seed = Long.getLong("streaminfer.crash.seed", System.nanoTime());
    Random rnd = new Random(seed);
    long started = System.nanoTime();
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      TestTopics topics = TestTopics.of(TestConfigs.config(Map.of()));
      kafka.createTopics(2, topics.all().toArray(String[]::new));
      String app = "crash-loop-" + guarantee.replace('_', '-');
      Map<String, String> settings =
          new HashMap<>(
              Map.of(
                  StreamInferConfig.APPLICATION_ID,
                  app,
                  StreamInferConfig.PROCESSING_GUARANTEE,
                  guarantee,
                  StreamInferConfig.STATE_DIR,
                  state.toString(),
                  StreamInferConfig.MODELS_REPOSITORY,
                  TestConfigs.repository(),
                  StreamInferConfig.INFERENCE_DEVICE,
                  "cpu",
                  // a restarted process takes its partitions back at once instead of after a
                  // session timeout
                  "kafka.group.instance.id",
                  app + "-instance"));
      SampleEvents.Stream stream =
          SampleEvents.build(SampleData.load(), topics.inputs(), 800, 800, 100, 200, 2, true, seed);
      Ledger ledger = new Ledger();
      Path log = PipelineProcess.logFile(app).toPath();

      try (OutputCollector out =
          new OutputCollector(kafka.bootstrapServers(), topics.config(), Map.of())) {
        // the producer publishes throughout the kill loop (~30 events/s), so kills hit a pipeline
        // at work
        Ledger.Publisher publisher =
            ledger.publishInBackground(kafka.bootstrapServers(), stream.events(), 10, 330);

        List<Map<String, Object>> crashes = new ArrayList<>();
        for (int k = 0; k < CRASHES; k++) {
          PipelineProcess p = PipelineProcess.start(kafka.bootstrapServers(), settings, log);
          long lifeMs = 2_000 + rnd.nextInt(5_000);
          long until = System.nanoTime() + lifeMs * 1_000_000;
          while (System.nanoTime() < until) {
            out.poll(Duration.ofMillis(100));
          }
          assertThat(p.alive()).as("pipeline alive before kill %d (see %s)", k, log).isTrue();
          long pending =
              ledger.pendingInputs(out, topics); // inputs still waiting for their outputs
          p.kill();
          out.poll(Duration.ofMillis(100));
          crashes.add(
              Map.of(
                  "after_ms",
                  lifeMs,
                  "published",
                  ledger.published(),
                  "outputs_committed",
                  Ledger.outputs(out, topics),
                  "inputs_pending_at_kill",
                  pending));
        }
        publisher.await(Duration.ofSeconds(120));
        long outputsBeforeFinalRun = Ledger.outputs(out, topics);

        // a last restart drains whatever is left
        try (PipelineProcess last =
            PipelineProcess.start(kafka.bootstrapServers(), settings, log)) {
          // wait per input: under at_least_once duplicates can bring the output count to the
          // expected total while some inputs still wait for theirs
          long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
          while (System.nanoTime() < deadline && ledger.pendingInputs(out, topics) > 0) {
            out.poll(Duration.ofMillis(250));
          }
          for (int i = 0; i < 12; i++) {
            out.poll(Duration.ofMillis(250)); // late duplicates would arrive now
          }
        }

        Ledger.Accounting a = ledger.account(out, topics);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("guarantee", guarantee);
        figures.put("crashes", CRASHES);
        figures.put("seed", seed);
        figures.putAll(a.asMap());
        figures.put("outputs_before_final_run", outputsBeforeFinalRun);
        figures.put(
            "kills_with_work_pending",
            crashes.stream().filter(c -> (long) c.get("inputs_pending_at_kill") > 0).count());
        figures.put("seconds", (System.nanoTime() - started) / 1e9);
        figures.put("kills", crashes);
        ReliabilityReport.write("crash-" + guarantee, figures);
        System.out.println("crash loop " + figures);

        assertThat(a.events()).isGreaterThanOrEqualTo(2_500);
        assertThat(outputsBeforeFinalRun)
            .as("the kills hit a pipeline that was processing")
            .isPositive();
        assertThat(a.lost()).as("lost outputs (seed %d)", seed).isZero();
        assertThat(a.untraced()).isZero();
        assertThat(a.wrongCodes()).as("inputs dead-lettered with another code").isEmpty();
        assertThat(a.badKindsDeadLettered()).isEqualTo(a.badKindsTried());
        if (guarantee.equals("exactly_once_v2")) {
          assertThat(a.duplicated()).as("duplicated outputs (seed %d)", seed).isZero();
        }
      }
    }
  }
}

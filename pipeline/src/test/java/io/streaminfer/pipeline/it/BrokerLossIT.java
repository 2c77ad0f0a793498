package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.ReliabilityReport;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import io.streaminfer.testkit.broker.EmbeddedKafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broker loss: a three-node KRaft cluster (replication 3, min.insync.replicas 2) serves the
 * pipeline under exactly_once_v2; mid-stream one node — broker and controller — is stopped and
 * later restarted. Every input is still accounted for exactly once. Figures go to
 * target/reliability/broker-loss.json.
 */
class BrokerLossIT {
  @TempDir Path state;

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void shouldLoseNothingWhenABrokerStopsAndComesBack() throws Exception {
    long started = System.nanoTime();
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(3)) {
      TestTopics topics = TestTopics.of(TestConfigs.config(Map.of()));
      kafka.createTopics(3, topics.all().toArray(String[]::new));
      StreamInferConfig config =
          TestConfigs.config(
              Map.of(
                  StreamInferConfig.BOOTSTRAP_SERVERS,
                  kafka.bootstrapServers(),
                  StreamInferConfig.APPLICATION_ID,
                  "broker-loss",
                  StreamInferConfig.PROCESSING_GUARANTEE,
                  "exactly_once_v2",
                  StreamInferConfig.STATE_DIR,
                  state.toString(),
                  "kafka.replication.factor",
                  "3"));
      SampleEvents.Stream stream =
          SampleEvents.build(SampleData.load(), topics.inputs(), 400, 400, 60, 80, 2, true, 17);
      Ledger ledger = new Ledger();
      try (StreamInferApp app = StreamInferApp.start(config);
          OutputCollector out =
              new OutputCollector(kafka.bootstrapServers(), topics.config(), Map.of())) {
        assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
        Ledger.Publisher publisher =
            ledger.publishInBackground(kafka.bootstrapServers(), stream.events(), 20, 100);

        // when: node 0 stops mid-stream and comes back 10 s later
        poll(out, Duration.ofSeconds(4));
        long beforeStop = Ledger.outputs(out, topics);
        kafka.stopBroker(0);
        poll(out, Duration.ofSeconds(10));
        long whileDown = Ledger.outputs(out, topics) - beforeStop;
        kafka.restartBroker(0);
        publisher.await(Duration.ofSeconds(180));
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline && ledger.pendingInputs(out, topics) > 0) {
          out.poll(Duration.ofMillis(250));
        }
        poll(out, Duration.ofSeconds(3));

        // then
        Ledger.Accounting a = ledger.account(out, topics);
        Map<String, Object> figures = new LinkedHashMap<>(a.asMap());
        figures.put("brokers", 3);
        figures.put("brokers_stopped", 1);
        figures.put("outputs_before_stop", beforeStop);
        figures.put("outputs_while_down", whileDown);
        figures.put("seconds", (System.nanoTime() - started) / 1e9);
        ReliabilityReport.write("broker-loss", figures);
        System.out.println("broker loss " + figures);
        assertThat(app.state().isRunningOrRebalancing()).isTrue();
        assertThat(beforeStop).as("the broker stopped mid-stream").isPositive();
        assertThat(a.lost()).isZero();
        assertThat(a.duplicated()).isZero();
        assertThat(a.untraced()).isZero();
        assertThat(a.badKindsDeadLettered()).isEqualTo(a.badKindsTried());
      }
    }
  }

  private static void poll(OutputCollector out, Duration d) {
    long until = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < until) {
      out.poll(Duration.ofMillis(200));
    }
  }
}

package io.streaminfer.pipeline.it;

import io.streaminfer.pipeline.TestTopics;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What a reliability test published and where each event landed (topic/partition/offset, from the
 * producer's acknowledgement), so that every output can be traced back to its input through the
 * lineage headers and every input accounted for: predicted the expected number of times,
 * dead-lettered once with its code, or missing or duplicated.
 */
final class Ledger {
  /** One published event and its position. */
  record Sent(SampleEvents.Event event, String source) {}

  /**
   * The accounting of a run.
   *
   * @param events inputs published
   * @param invalid of which malformed
   * @param expectedOutputs predictions plus dead letters an exactly-once run writes
   * @param outputs predictions plus dead letters read back (read_committed)
   * @param lost expected outputs that never came
   * @param duplicated outputs beyond the expected ones
   * @param wrongCodes malformed inputs dead-lettered with another code than their expected one
   *     ({@code id: expected -> got})
   * @param untraced outputs that name no published input
   * @param badKindsTried distinct malformed inputs published
   * @param badKindsDeadLettered of which reached the dead-letter topic with their code
   */
  record Accounting(
      int events,
      int invalid,
      long expectedOutputs,
      long outputs,
      long lost,
      long duplicated,
      List<String> wrongCodes,
      long untraced,
      int badKindsTried,
      int badKindsDeadLettered) {
    Map<String, Object> asMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("events", events);
      m.put("invalid", invalid);
      m.put("expected_outputs", expectedOutputs);
      m.put("outputs", outputs);
      m.put("lost", lost);
      m.put("duplicated", duplicated);
      m.put("wrong_code", wrongCodes.size());
      m.put("wrong_codes", wrongCodes);
      m.put("untraced", untraced);
      m.put("bad_kinds_tried", badKindsTried);
      m.put("bad_kinds_dead_lettered", badKindsDeadLettered);
      return m;
    }
  }

  private final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());

  /** A producer with acks=all and idempotence (no duplicate inputs on retries). */
  static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /** Sends {@code e} and files its position once acknowledged; fails the test on a send error. */
  void publish(KafkaProducer<String, byte[]> producer, SampleEvents.Event e) {
    producer.send(
        e.record(),
        (md, ex) -> {
          if (ex != null) {
            throw new IllegalStateException("could not publish " + e.id(), ex);
          }
          sent.add(new Sent(e, DeadLetters.source(md.topic(), md.partition(), md.offset())));
        });
  }

  /**
   * Publishes {@code events} on a background thread, pausing {@code pauseMs} after every {@code
   * every} events, so the load runs while the test kills and restarts things.
   */
  Publisher publishInBackground(
      String bootstrap, List<SampleEvents.Event> events, int every, long pauseMs) {
    Publisher p =
        new Publisher(
            () -> {
              try (var producer = producer(bootstrap)) {
                for (int i = 0; i < events.size(); i++) {
                  publish(producer, events.get(i));
                  if (i % every == every - 1) {
                    Thread.sleep(pauseMs);
                  }
                }
              }
              return null;
            });
    p.start();
    return p;
  }

  /** A background publication; {@link #await} fails the test if it failed. */
  static final class Publisher extends Thread {
    private final java.util.concurrent.Callable<Void> work;
    private volatile Throwable failure;

    private Publisher(java.util.concurrent.Callable<Void> work) {
      super("reliability-publisher");
      this.work = work;
    }

    @Override
    public void run() {
      try {
        work.call();
      } catch (Throwable t) {
        failure = t;
      }
    }

    /** Waits for the last send to be acknowledged. */
    void await(Duration timeout) throws InterruptedException {
      join(timeout.toMillis());
      if (isAlive() || failure != null) {
        throw new AssertionError("publishing did not complete", failure);
      }
    }
  }

  int published() {
    return sent.size();
  }

  /** Predictions plus dead letters an exactly-once run writes for everything published. */
  long expectedOutputs() {
    synchronized (sent) {
      return sent.stream()
          .mapToLong(s -> s.event().expectedError() != null ? 1 : s.event().predictions())
          .sum();
    }
  }

  /**
   * Published inputs that do not yet have all their expected outputs in what {@code out} has read.
   */
  long pendingInputs(OutputCollector out, TestTopics topics) {
    synchronized (sent) {
      return sent.stream()
          .filter(
              s -> {
                Outputs o = Outputs.of(s, out, topics);
                return o.have() < o.want();
              })
          .count();
    }
  }

  /**
   * What one input produced: the outputs it should have ({@code want}: its predictions, or one dead
   * letter when malformed), those of that kind it has, and those of the other kind.
   */
  private record Outputs(long want, long have, long stray) {
    static Outputs of(Sent s, OutputCollector out, TestTopics topics) {
      Map<String, Integer> outs = out.sources().getOrDefault(s.source(), Map.of());
      long dead = outs.getOrDefault(topics.deadLetters(), 0);
      long predictions =
          outs.entrySet().stream()
              .filter(
                  o ->
                      !o.getKey().equals(topics.deadLetters())
                          && !o.getKey().equals(topics.anomalies()))
              .mapToLong(Map.Entry::getValue)
              .sum();
      boolean malformed = s.event().expectedError() != null;
      return new Outputs(
          malformed ? 1 : s.event().predictions(),
          malformed ? dead : predictions,
          malformed ? predictions : dead);
    }
  }

  /** Predictions (anomaly alerts aside) and dead letters read so far. */
  static long outputs(OutputCollector out, TestTopics topics) {
    return out.sources().values().stream()
        .mapToLong(
            m ->
                m.entrySet().stream()
                    .filter(e -> !e.getKey().equals(topics.anomalies()))
                    .mapToLong(Map.Entry::getValue)
                    .sum())
        .sum();
  }

  /** Accounts for every published input against what {@code out} has read. */
  Accounting account(OutputCollector out, TestTopics topics) {
    Map<String, String> codeOf = new HashMap<>();
    out.deadLetters().forEach(d -> codeOf.put(d.source(), d.code()));
    long expected = 0;
    long got = 0;
    long lost = 0;
    long duplicated = 0;
    List<String> wrongCodes = new ArrayList<>();
    int invalid = 0;
    Set<String> badTried = new java.util.HashSet<>();
    Set<String> badReached = new java.util.HashSet<>();
    Set<String> known = new java.util.HashSet<>();
    synchronized (sent) {
      for (Sent s : sent) {
        known.add(s.source());
        SampleEvents.Event e = s.event();
        Outputs o = Outputs.of(s, out, topics);
        expected += o.want();
        got += o.have() + o.stray();
        lost += Math.max(0, o.want() - o.have());
        duplicated += Math.max(0, o.have() - o.want()) + o.stray();
        if (e.expectedError() != null) {
          invalid++;
          badTried.add(e.id());
          String code = codeOf.get(s.source());
          if (code != null && !code.equals(e.expectedError().name())) {
            wrongCodes.add(e.id() + ": " + e.expectedError() + " -> " + code);
          } else if (code != null) {
            badReached.add(e.id());
          }
        }
      }
    }
    long untraced = out.sources().keySet().stream().filter(k -> !known.contains(k)).count();
    return new Accounting(
        sent.size(),
        invalid,
        expected,
        got,
        lost,
        duplicated,
        wrongCodes,
        untraced,
        badTried.size(),
        badReached.size());
  }
}

package io.streaminfer.pipeline.model;

import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelState;
import io.streaminfer.schemas.ModelStatus;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the compacted model-control topic (one partition) from its start, on a thread of its own,
 * and makes the {@link ModelRegistry} serve what each record asks ({@link ModelRegistry#apply}):
 * loading and warming new versions here, never on a stream thread. After each record it writes this
 * instance's view of the route to the model-status topic (keyed {@code <instance>/<route>}) and
 * counts the outcome. {@link #catchUp} reads to the end offset before the streams start, so a new
 * or restarted instance serves what its peers serve from its first batch.
 *
 * <p>Owns its consumer and producer; {@link #close()} stops the thread and closes both. Does not
 * own the registry.
 */
public final class ModelControlListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelControlListener.class);

  private final String instance;
  private final String statusTopic;
  private final ModelRegistry registry;
  private final PipelineMetrics metrics;
  private final TopicPartition partition;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final Deserializer<ModelControl> controls =
      AvroSerdes.serde(ModelControl.class).deserializer();
  private final Serializer<ModelStatus> statuses = AvroSerdes.serde(ModelStatus.class).serializer();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean closed;
  private volatile boolean catchingUp = true;
  private final java.util.Map<String, Reported> reported =
      new java.util.concurrent.ConcurrentHashMap<>(); // route → its last record's answer

  /**
   * A listener of {@code controlTopic} for {@code registry}, reporting as {@code instance} to
   * {@code statusTopic}, with the Kafka client settings {@code client} (bootstrap, security).
   */
  public ModelControlListener(
      Properties client,
      String controlTopic,
      String statusTopic,
      String instance,
      ModelRegistry registry,
      PipelineMetrics metrics) {
    this.instance = instance;
    this.statusTopic = statusTopic;
    this.registry = registry;
    this.metrics = metrics;
    this.partition = new TopicPartition(controlTopic, 0);
    Properties c = StreamInferConfig.forConsumer(client);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "streaminfer-control-" + instance);
    this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    Properties p = StreamInferConfig.only(client, ProducerConfig.configNames());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "streaminfer-status-" + instance);
    KafkaProducer<String, byte[]> made;
    try {
      made = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
    this.producer = made;
    consumer.assign(List.of(partition));
    consumer.seekToBeginning(List.of(partition));
    this.thread = new Thread(this::loop, "streaminfer-model-control");
    this.thread.setDaemon(true);
  }

  /**
   * Reads and applies every control record up to the topic's end offset now, then writes the status
   * of every route; throws {@link IllegalStateException} when that takes over {@code timeout}.
   */
  public void catchUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
    // only each route's latest record matters: the topic's uncompacted tail may hold many more
    java.util.Map<String, ConsumerRecord<String, byte[]>> latest = new java.util.LinkedHashMap<>();
    while (consumer.position(partition, timeout) < end) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "read "
                + consumer.position(partition)
                + " of "
                + end
                + " records of "
                + partition.topic()
                + " within "
                + timeout.toMillis()
                + " ms (model.control.catchup.ms)");
      }
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        if (r.key() != null) {
          latest.remove(r.key()); // keeps the map in offset order of each key's latest
          latest.put(r.key(), r);
        }
      }
    }
    latest.values().forEach(this::handle);
    registry.processed(end - 1);
    for (String route : registry.routes()) { // one status per route: the last record's answer
      Reported last = reported.get(route);
      Serving s = registry.serving(route);
      status(
          last != null ? last.outcome() : new ModelRegistry.Outcome(route, true, "", s),
          last != null ? last.offset() : s.controlOffset());
    }
    catchingUp = false;
    producer.flush();
    LOG.info(
        "model control: read {} up to offset {}; serving {}",
        partition.topic(),
        end,
        registry.routes().stream().map(r -> r + "=" + describe(registry.serving(r))).toList());
  }

  /** Starts following the topic (after {@link #catchUp}). */
  public void start() {
    thread.start();
  }

  private void loop() {
    try {
      while (running) {
        pollOnce(Duration.ofMillis(500));
      }
    } catch (WakeupException e) {
      // closing
    } catch (Throwable e) {
      LOG.error(
          "model control listener stopped: the routes keep serving what they serve, and this"
              + " instance takes no more model changes until it restarts",
          e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void pollOnce(Duration wait) {
    for (ConsumerRecord<String, byte[]> r : consumer.poll(wait)) {
      try {
        handle(r);
      } catch (RuntimeException e) { // one record's failure must not stop the listener
        LOG.error("control record at offset {} could not be handled", r.offset(), e);
      }
    }
    // read up to here, even where compaction left gaps
    registry.processed(consumer.position(partition) - 1);
  }

  private void handle(ConsumerRecord<String, byte[]> r) {
    try {
      apply(r);
    } finally {
      registry.processed(r.offset());
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    String route = r.key();
    if (route == null) {
      LOG.warn("control record at offset {} has no key (the route): skipped", r.offset());
      return;
    }
    ModelControl control;
    try {
      control = r.value() == null ? null : controls.deserialize(r.topic(), r.value());
    } catch (RuntimeException e) {
      ModelRegistry.Outcome refused =
          new ModelRegistry.Outcome(
              route,
              false,
              "control record at offset "
                  + r.offset()
                  + " is not a ModelControl: "
                  + e.getMessage(),
              registry.routes().contains(route) ? registry.serving(route) : null);
      report(refused, r.offset());
      return;
    }
    if (control != null && !route.equals(control.getRoute())) {
      report(
          new ModelRegistry.Outcome(
              route,
              false,
              "control record at offset "
                  + r.offset()
                  + " is keyed "
                  + route
                  + " but names route "
                  + control.getRoute(),
              registry.routes().contains(route) ? registry.serving(route) : null),
          r.offset());
      return;
    }
    ModelRegistry.Outcome o = registry.apply(route, control, r.offset());
    if (o.applied()) {
      LOG.info(
          "route {}: serving {} under control record {} ({})",
          route,
          describe(o.serving()),
          r.offset(),
          control == null ? "tombstone: configured models" : control.getOperation());
    }
    report(o, r.offset());
  }

  private void report(ModelRegistry.Outcome o, long offset) {
    metrics.control(o.route(), o.applied(), offset);
    reported.put(o.route(), new Reported(o, offset));
    if (!catchingUp) { // catch-up reports each route once, at its end
      status(o, offset);
    }
  }

  /** The answer to a route's last control record. */
  private record Reported(ModelRegistry.Outcome outcome, long offset) {}

  private void status(ModelRegistry.Outcome o, long offset) {
    if (o.serving() == null) { // a route this instance does not serve: nothing to report on it
      LOG.warn("control record at offset {} ignored: {}", offset, o.reason());
      return;
    }
    Serving s = o.serving();
    List<String> loaded = new ArrayList<>(s.ids());
    ModelStatus st =
        ModelStatus.newBuilder()
            .setInstance(instance)
            .setRoute(o.route())
            .setState(o.applied() ? ModelState.SERVING : ModelState.REFUSED)
            .setControlOffset(offset)
            .setAppliedOffset(s.controlOffset())
            .setServing(Serving.id(s.primary()))
            .setCanary(Serving.id(s.canary()))
            .setCanaryShare(s.canary() == null ? 0 : s.canaryShare())
            .setShadow(Serving.id(s.shadow()))
            .setLoaded(loaded)
            .setReason(o.reason().isEmpty() ? null : o.reason())
            .setProvider(s.primary().model().provider())
            .setAt(Instant.now())
            .build();
    String key = instance + "/" + o.route();
    producer.send(
        new ProducerRecord<>(statusTopic, key, statuses.serialize(statusTopic, st)),
        (md, e) -> {
          if (e != null) {
            LOG.warn(
                "cannot write the model status of {} to {}: {}", key, statusTopic, e.toString());
          }
        });
  }

  /** One line for a serving: {@code primary [canary c (10%)] [shadow s]}. */
  static String describe(Serving s) {
    StringBuilder b = new StringBuilder(Serving.id(s.primary()));
    if (s.canary() != null) {
      b.append(" canary ")
          .append(Serving.id(s.canary()))
          .append(" (")
          .append(Math.round(s.canaryShare() * 1000) / 10.0)
          .append("%)");
    }
    if (s.shadow() != null) {
      b.append(" shadow ").append(Serving.id(s.shadow()));
    }
    return b.toString();
  }

  /**
   * Stops the thread, removes this instance's rows from the status topic (tombstones: a stopped
   * instance serves nothing, and {@code model ... --wait} must not wait for it), then closes the
   * consumer and the producer; safe to call twice.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!thread.isAlive() && thread.getState() == Thread.State.NEW) {
      consumer.close(Duration.ofSeconds(5)); // never started: the thread did not close it
    }
    if (!catchingUp) { // it reported: a clean stop takes this instance's rows off the table
      for (String route : registry.routes()) {
        producer.send(new ProducerRecord<>(statusTopic, instance + "/" + route, null));
      }
    }
    producer.close(Duration.ofSeconds(5));
  }
}

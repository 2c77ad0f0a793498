package io.streaminfer.pipeline.batch;

import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loss-free micro-batching inside Kafka Streams. {@link #process} only appends the raw input record
 * to a changelogged, cached buffer store (so a crash loses nothing: the buffer as of the last
 * commit is restored with the task, and the inputs after it were not committed either); a batch
 * runs when the buffer reaches the batch size (in {@code process}) or when its oldest record has
 * waited the maximum delay (a wall-clock punctuator). Whatever a restore brings back is run by the
 * first punctuation. Records are handled in arrival order, so order per key holds.
 *
 * <p>Subclasses turn a batch into predictions and dead letters ({@link #handle}); every buffered
 * record must end in at least one of them. One batch must take far less than {@code
 * max.poll.interval.ms} (the batch size bounds it; see docs/architecture.md).
 */
public abstract class BatchingProcessor implements Processor<byte[], byte[], Object, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(BatchingProcessor.class);

  /** Keys below this are slots; larger ones come from buffers written by earlier releases. */
  private static final long MAX_SLOT = 1 << 20;

  private static final Comparator<KeyValue<Long, BufferedRecord>> ARRIVAL =
      Comparator.<KeyValue<Long, BufferedRecord>, String>comparing(kv -> kv.value.topic())
          .thenComparingInt(kv -> kv.value.partition())
          .thenComparingLong(kv -> kv.value.offset());
  private long lastSlowWarningNs = System.nanoTime() - 60_000_000_000L;
  private final String storeName;
  private final BatchSettings settings;
  private final String deadLetterChild;
  private final String route;
  private final PipelineMetrics.RouteMetrics metrics;

  /** The context, for subclasses' forwards and stores. */
  protected ProcessorContext<Object, Object> context;

  private KeyValueStore<Long, BufferedRecord> buffer;

  /**
   * The buffer's keys in use: a record takes the lowest free slot and a flush frees them all, so
   * the keys of a task's buffer are 0 … batch size − 1 over and over. Behind Kafka Streams' record
   * cache that makes the buffer's changelog carry at most one record per slot per commit (the
   * slot's state at the commit) instead of a put and a tombstone per input.
   */
  private final BitSet slots = new BitSet();

  private int buffered;
  private long oldestMs;

  /**
   * A processor of the route of {@code metrics} buffering into {@code storeName}, dead letters to
   * child {@code deadLetterChild}; every record it writes names the route in its {@code
   * streaminfer.route} header.
   */
  protected BatchingProcessor(
      PipelineMetrics.RouteMetrics metrics,
      String storeName,
      BatchSettings settings,
      String deadLetterChild) {
    this.metrics = metrics;
    this.route = metrics.route();
    this.storeName = storeName;
    this.settings = settings;
    this.deadLetterChild = deadLetterChild;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.buffer = context.getStateStore(storeName);
    try (KeyValueIterator<Long, BufferedRecord> it = buffer.all()) {
      while (it.hasNext()) {
        long key = it.next().key;
        if (key >= 0 && key < MAX_SLOT) {
          slots.set((int) key);
        } // else a key of an older release's buffer (a sequence number): freed by the next flush
        buffered++;
      }
    }
    oldestMs = Long.MIN_VALUE / 2; // restored records run at the first punctuation
    if (settings.maxSize() > 1) {
      // checked twice per delay, so a batch waits at most 1.5 × its delay (plus the poll: the
      // configuration keeps poll.ms at half the shortest delay)
      Duration every = Duration.ofMillis(Math.max(1, settings.maxDelay().toMillis() / 2));
      context.schedule(
          every,
          PunctuationType.WALL_CLOCK_TIME,
          now -> {
            if (buffered > 0 && now - oldestMs >= settings.maxDelay().toMillis()) {
              flush();
            }
          });
    }
  }

  @Override
  public final void process(Record<byte[], byte[]> record) {
    RecordMetadata md = context.recordMetadata().orElseThrow();
    if (buffered == 0) {
      oldestMs = context.currentSystemTimeMs();
    }
    int slot = slots.nextClearBit(0);
    slots.set(slot);
    buffer.put(
        (long) slot,
        new BufferedRecord(
            md.topic(),
            md.partition(),
            md.offset(),
            record.timestamp(),
            record.key(),
            record.value(),
            record.headers()));
    buffered++;
    if (buffered >= settings.maxSize()) {
      flush();
    }
  }

  /**
   * Runs every buffered record in arrival order, then removes them from the buffer. A task's buffer
   * holds records of one input partition, so arrival order is offset order (slots say nothing of
   * it).
   */
  private void flush() {
    List<KeyValue<Long, BufferedRecord>> batch = new ArrayList<>(buffered);
    try (KeyValueIterator<Long, BufferedRecord> it = buffer.all()) {
      while (it.hasNext()) {
        batch.add(it.next());
      }
    }
    batch.sort(ARRIVAL);
    long start = System.nanoTime();
    List<BufferedRecord> records = batch.stream().map(kv -> kv.value).toList();
    records.forEach(r -> metrics.queued(r.timestamp()));
    try {
      handle(records);
    } catch (RuntimeException e) {
      // a bug, not an input: every record of the batch becomes a dead letter (INTERNAL) rather
      // than staying in the buffer to fail again with every later record
      LOG.warn(
          "a batch of {} records in {} failed; all dead-lettered", records.size(), storeName, e);
      records.forEach(r -> deadLetter(r, e, ""));
    }
    long tookNs = System.nanoTime() - start;
    batch.forEach(kv -> buffer.delete(kv.key));
    slots.clear();
    buffered = 0;
    metrics.batch(batch.size());
    if (tookNs > settings.slowAfter().toNanos()) {
      metrics.slowBatch();
      if (System.nanoTime() - lastSlowWarningNs > 10_000_000_000L) {
        lastSlowWarningNs = System.nanoTime();
        LOG.warn(
            "a batch of {} records in {} took {} ms, over the {} ms a batch may take (a quarter of the poll "
                + "budget: max.poll.interval.ms / 2, and transaction.timeout.ms under exactly_once_v2); lower "
                + "batch.max.size or the route's batch.max.size, or raise those limits",
            batch.size(),
            storeName,
            tookNs / 1_000_000,
            settings.slowAfter().toMillis());
      }
    }
  }

  /** The route's metrics. */
  protected PipelineMetrics.RouteMetrics metrics() {
    return metrics;
  }

  /** The batch settings. */
  protected BatchSettings settings() {
    return settings;
  }

  /** Turns a batch (arrival order) into predictions and dead letters, in that order per record. */
  protected abstract void handle(List<BufferedRecord> batch);

  /**
   * Forwards {@code value} to {@code child} with the input's timestamp, its headers, its source
   * position ({@code streaminfer.source.*}) and the route ({@code streaminfer.route}).
   */
  protected void emit(String child, Object key, Object value, BufferedRecord source) {
    Headers h =
        DeadLetters.lineage(
            source.headers(), route, source.topic(), source.partition(), source.offset());
    context.forward(new Record<>(key, value, source.timestamp(), h), child);
  }

  /** Forwards prediction {@code value} of {@code model} as {@link #emit} does, and counts it. */
  protected void emitPrediction(
      String child, Object key, Object value, BufferedRecord source, OnnxModel model) {
    emit(child, key, value, source);
    metrics.prediction(model, source.timestamp());
  }

  /**
   * Sends {@code source} to the dead letters with its original bytes and the typed reason of {@code
   * e} ({@link DeadLetters#codeOf}); the model is the one {@code e} names, else {@code model}
   * ({@code name:version}, or empty).
   */
  protected void deadLetter(BufferedRecord source, Exception e, String model) {
    ErrorCode code = DeadLetters.codeOf(e);
    String named = DeadLetters.modelOf(e);
    metrics.deadLetter(code);
    Headers h =
        DeadLetters.headers(
            source.headers(),
            code,
            DeadLetters.stageOf(code),
            e,
            named.isEmpty() ? model : named,
            route,
            source.topic(),
            source.partition(),
            source.offset());
    context.forward(
        new Record<>(source.key(), source.value(), source.timestamp(), h), deadLetterChild);
  }
}

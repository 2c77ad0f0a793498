package io.streaminfer.pipeline.topology;

import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.Route;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * One processor of a route on a {@link MockProcessorContext} (Apache Kafka's {@code
 * WordCountProcessorTest} habit): the route's buffer and family stores in memory, records fed with
 * their source position, punctuators fired by hand, forwards captured per child.
 */
final class ProcessorHarness {
  final MockProcessorContext<Object, Object> context;
  final KeyValueStore<Long, BufferedRecord> buffer;
  private final Processor<byte[], byte[], Object, Object> processor;
  private final String topic;
  private long offset;

  ProcessorHarness(
      Route route, TaskFamily family, Processor<byte[], byte[], Object, Object> processor) {
    this.processor = processor;
    this.topic = route.input();
    try { // the family's stores may be persistent (RocksDB): a state directory of their own
      context =
          new MockProcessorContext<>(
              new java.util.Properties(),
              new org.apache.kafka.streams.processor.TaskId(0, 0),
              java.nio.file.Files.createTempDirectory("processor-harness").toFile());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    context.setCurrentSystemTimeMs(0);
    buffer =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(route.bufferStore()),
                Serdes.Long(),
                new BufferedRecord.StoreSerde())
            .withLoggingDisabled()
            .build();
    add(buffer);
    for (StoreBuilder<?> b : family.stores(route)) {
      add(b.withLoggingDisabled().build());
    }
    if (!family.servesSeveralModels()) {
      add(ControlWatermark.store(route).withLoggingDisabled().build());
    }
  }

  private void add(org.apache.kafka.streams.processor.StateStore store) {
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
  }

  /** Calls the processor's init (after any store content a test put there). */
  ProcessorHarness init() {
    processor.init(context);
    return this;
  }

  /** Feeds one input record at the next offset of partition 0. */
  void process(String key, byte[] value) {
    context.setRecordMetadata(topic, 0, offset++);
    processor.process(
        new Record<>(
            key == null ? null : key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            value,
            context.currentSystemTimeMs(),
            new RecordHeaders()));
  }

  /** Moves the wall clock to {@code ms} and fires the wall-clock punctuators. */
  void punctuateAt(long ms) {
    context.setCurrentSystemTimeMs(ms);
    context.scheduledPunctuators().forEach(p -> p.getPunctuator().punctuate(ms));
  }

  /** What was forwarded to {@code child}. */
  List<MockProcessorContext.CapturedForward<?, ?>> forwarded(String child) {
    return List.copyOf(context.forwarded(child));
  }

  long buffered() {
    return buffer.approximateNumEntries();
  }
}

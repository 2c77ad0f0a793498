package io.streaminfer.pipeline.topology;

import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.pipeline.model.Serving;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offset of the control record a stream task's outputs were last served under, kept in the
 * task's own store (changelogged, so it commits with the outputs): when the task moves to an
 * instance that has not read that record yet, its first batch waits (bounded) until the instance
 * has, so a partition's outputs never switch back to a version they had left. One per processor.
 */
final class ControlWatermark {
  private static final Logger LOG = LoggerFactory.getLogger(ControlWatermark.class);
  private static final String KEY = "served-under";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final String storeName;
  private KeyValueStore<String, Long> store;
  private long served = -1;

  /** The store's name for {@code route}. */
  static String storeName(io.streaminfer.pipeline.config.Route route) {
    return route.store("control");
  }

  /** The store of {@code route}: in memory, cached, changelogged; one entry, changed at swaps. */
  static org.apache.kafka.streams.state.StoreBuilder<KeyValueStore<String, Long>> store(
      io.streaminfer.pipeline.config.Route route) {
    return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
            org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(storeName(route)),
            org.apache.kafka.common.serialization.Serdes.String(),
            org.apache.kafka.common.serialization.Serdes.Long())
        .withCachingEnabled();
  }

  ControlWatermark(String storeName) {
    this.storeName = storeName;
  }

  void init(ProcessorContext<Object, Object> context) {
    store = context.getStateStore(storeName);
    Long v = store.get(KEY);
    served = v == null ? -1 : v;
  }

  /**
   * A lease on what {@code route} serves, once this instance has read the control record the task's
   * outputs were last served under.
   */
  ModelRegistry.Lease lease(ModelRegistry models, String route) {
    if (served > models.processedOffset() && !models.awaitProcessed(served, WAIT)) {
      LOG.warn(
          "route {}: this task's outputs were served under control record {}, which this instance"
              + " has not read within {} s (read up to {}); serving what it has",
          route,
          served,
          WAIT.toSeconds(),
          models.processedOffset());
      served = models.processedOffset(); // wait once, not at every batch
    }
    return models.lease(route);
  }

  /** Records that a batch was served under {@code now}. */
  void served(Serving now) {
    if (now.controlOffset() > served) {
      served = now.controlOffset();
      store.put(KEY, served);
    }
  }
}

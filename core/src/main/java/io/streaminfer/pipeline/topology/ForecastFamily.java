package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.SensorReading;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Time-series forecasts: {@link SensorReading} (keyed by sensor id) → one {@link Forecast} per
 * model and full window, and {@link AnomalyAlert}s; per-key windows in a changelogged store.
 */
public final class ForecastFamily implements TaskFamily {
  /** Kind of the per-key window store: {@code windows-<route>}. */
  static final String WINDOWS = "windows";

  /** Output role of anomaly alerts. */
  public static final String ANOMALIES = RouteKeys.ANOMALIES;

  @Override
  public Task task() {
    return Task.TIME_SERIES_FORECAST;
  }

  @Override
  public Class<? extends SpecificRecord> eventType() {
    return SensorReading.class;
  }

  @Override
  public Map<String, Class<? extends SpecificRecord>> outputs() {
    Map<String, Class<? extends SpecificRecord>> m = new LinkedHashMap<>();
    m.put(Route.OUTPUT, Forecast.class);
    m.put(ANOMALIES, AnomalyAlert.class);
    return m;
  }

  @Override
  public Set<String> routeKeys() {
    return Set.of(
        RouteKeys.ANOMALY_MODEL,
        RouteKeys.ANOMALY_Z,
        RouteKeys.REPLAY_HISTORY,
        RouteKeys.MAX_FUTURE_MS);
  }

  @Override
  public boolean servesSeveralModels() {
    return true;
  }

  @Override
  public BatchTask<?, ?, ?> newTask(OnnxModel model) {
    return new Forecaster(model);
  }

  @Override
  public List<StoreBuilder<?>> stores(Route route) {
    return List.of(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(route.store(WINDOWS)),
            Serdes.String(),
            new SensorState.StateSerde()));
  }

  @Override
  public Processor<byte[], byte[], Object, Object> processor(
      Route route,
      ModelRegistry models,
      BatchSettings batching,
      PipelineMetrics.RouteMetrics metrics) {
    return new SensorProcessor(route, batching, models, metrics);
  }
}

package io.streaminfer.pipeline.topology;

import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.models.task.StepForecaster;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.RouteKeys;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.SensorReading;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
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
    return "recurrent-step".equals(model.card().preprocessing().path("type").asText())
        ? new StepForecaster(model)
        : new Forecaster(model);
  }

  @Override
  public void checkModels(Route route, List<BatchTask<?, ?, ?>> tasks) {
    List<Forecaster> windowed = new ArrayList<>();
    List<StepForecaster> stateful = new ArrayList<>();
    for (BatchTask<?, ?, ?> t : tasks) {
      if (t instanceof StepForecaster s) {
        stateful.add(s);
      } else {
        windowed.add((Forecaster) t);
      }
    }
    try {
      features(windowed, stateful);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          RouteKeys.key(route.name(), RouteKeys.MODELS),
          route.models().toString(),
          "route " + route.name() + ": " + e.getMessage());
    }
    route
        .limits()
        .anomalyModel()
        .ifPresent(
            ref -> {
              BatchTask<?, ?, ?> t = tasks.get(route.models().indexOf(ref));
              int first =
                  t instanceof Forecaster f ? f.targets()[0] : ((StepForecaster) t).targets()[0];
              if (first != 0) {
                throw new ConfigException(
                    RouteKeys.key(route.name(), RouteKeys.ANOMALY_MODEL),
                    ref.toString(),
                    "route "
                        + route.name()
                        + ": "
                        + t.model().card().id()
                        + " forecasts feature "
                        + first
                        + " first, not the reading's value (feature 0), so its forecasts cannot"
                        + " score readings; name a model whose postprocessing.targets begin"
                        + " with 0");
              }
            });
  }

  /**
   * The values per reading the route's models take; throws IllegalArgumentException when the models
   * disagree or a stateful model takes more than one reading per step (not served yet).
   */
  static int features(Collection<Forecaster> windowed, Collection<StepForecaster> stateful) {
    java.util.Map<Integer, List<String>> by = new java.util.TreeMap<>();
    windowed.forEach(
        f -> by.computeIfAbsent(f.features(), k -> new ArrayList<>()).add(f.model().card().id()));
    for (StepForecaster s : stateful) {
      if (s.step() != 1) {
        throw new IllegalArgumentException(
            s.model().card().id()
                + " takes "
                + s.step()
                + " readings per step (preprocessing.step); the pipeline feeds stateful models"
                + " one reading per step");
      }
      by.computeIfAbsent(s.features(), k -> new ArrayList<>()).add(s.model().card().id());
    }
    if (by.size() > 1) {
      throw new IllegalArgumentException(
          "its models take readings of different sizes (values per reading: "
              + by
              + "); a route's readings have one size, so serve them on separate routes");
    }
    return by.isEmpty() ? 1 : by.keySet().iterator().next();
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

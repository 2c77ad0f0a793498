package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.BatchResult;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BatchingProcessor;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.ModelRef;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.SensorReading;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A forecast route's processor: keeps a per-sensor window of readings in a changelogged store and
 * forecasts in micro-batches. A batch is three steps, each its own part: {@link SensorWindows}
 * validates readings in arrival order and appends them to their windows (recognising at-least-once
 * replays); {@link WindowForecasts} runs every full window of the batch through every model of the
 * route, one run per model; then, in arrival order, {@link AnomalyScorer} compares each reading
 * with the forecast the anomaly model made for it (an {@link AnomalyAlert} beyond the threshold)
 * and the forecasts are emitted (one {@link Forecast} per model). A reading whose forecast is still
 * in the same batch is checked against it, so batching changes no result. A replayed reading gets
 * its forecasts and anomaly check recomputed from the kept history and emitted again (a duplicate,
 * never a loss), and leaves the state as it is; under exactly-once this cannot happen.
 */
final class SensorProcessor extends BatchingProcessor {
  private final ModelRegistry models;
  private final String windowsStore;
  private final List<String> sensorModels; // the route's model references, name or name:version
  private final String anomalyModel;
  private final AnomalyScorer scorer;
  private final String forecastsChild;
  private final String anomaliesChild;
  private final int replayHistory;
  private final long maxFutureMs;
  private final Batches.Decoder<SensorReading> decoder = new Batches.Decoder<>(SensorReading.class);
  private KeyValueStore<String, SensorState> windows;
  private Map<String, Forecaster> forecasters;
  private Map<String, Forecaster> anomalyOnly;
  private int capacity;

  SensorProcessor(
      Route route,
      BatchSettings batching,
      ModelRegistry models,
      PipelineMetrics.RouteMetrics metrics) {
    super(metrics, route.bufferStore(), batching, route.deadLetterNode());
    this.models = models;
    this.windowsStore = route.store(ForecastFamily.WINDOWS);
    this.sensorModels = route.models().stream().map(ModelRef::toString).toList();
    this.anomalyModel = route.limits().anomalyModel().orElseThrow().toString();
    this.scorer = new AnomalyScorer(route.limits().anomalyZ());
    this.forecastsChild = route.sinkNode(Route.OUTPUT);
    this.anomaliesChild = route.sinkNode(ForecastFamily.ANOMALIES);
    this.replayHistory = route.limits().replayHistory();
    this.maxFutureMs = route.limits().maxFutureMs();
  }

  @Override
  public void init(
      org.apache.kafka.streams.processor.api.ProcessorContext<Object, Object> context) {
    super.init(context);
    this.windows = context.getStateStore(windowsStore);
    // the route's models are fixed while this processor lives: resolved once, not per batch
    this.forecasters = WindowForecasts.of(sensorModels, m -> models.task(m, Forecaster.class));
    this.anomalyOnly = Map.of(anomalyModel, forecasters.get(anomalyModel));
    this.capacity = WindowForecasts.capacity(forecasters);
  }

  @Override
  protected void handle(List<BufferedRecord> batch) {
    SensorWindows sensors =
        new SensorWindows(
            windows::get, capacity, replayHistory, context.currentSystemTimeMs(), maxFutureMs);
    // 1. validate and append, in arrival order
    RuntimeException[] rejected = new RuntimeException[batch.size()];
    List<SensorWindows.Step> steps = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      BufferedRecord src = batch.get(i);
      try {
        steps.add(sensors.admit(src, decoder.decode(src)));
      } catch (RuntimeException e) {
        rejected[i] = e;
      }
    }
    // 2. every full window of the batch, per model, in one run; a replay's window before it too
    var made =
        WindowForecasts.run(
            forecasters,
            steps.stream().map(SensorWindows.Step::window).toList(),
            settings().maxSize(),
            metrics());
    var before =
        WindowForecasts.run(
            anomalyOnly,
            steps.stream().map(SensorWindows.Step::before).toList(),
            settings().maxSize(),
            metrics());
    // 3. in arrival order: the anomaly check against the pending forecast, then the new forecasts
    int next = 0;
    for (int i = 0; i < batch.size(); i++) {
      if (rejected[i] != null) {
        deadLetter(batch.get(i), rejected[i], "");
        continue;
      }
      int s = next++;
      apply(steps.get(s), made.get(s), before.get(s).get(anomalyModel), sensors);
    }
    sensors.commit(windows::put);
  }

  private void apply(
      SensorWindows.Step step,
      Map<String, Batches.Ran<Forecaster.Forecast>> made,
      Batches.Ran<Forecaster.Forecast> replayedPending,
      SensorWindows sensors) {
    for (var ran : made.values()) {
      if (!ran.outcome().ok()) { // ONNX Runtime failed for this window: nothing of it is emitted
        var e = ran.outcome().error();
        deadLetter(step.src(), e, e.model());
        return;
      }
    }
    SensorReading r = step.reading();
    String sensor = step.sensor();
    SensorState.PendingForecast p =
        !step.replay()
            ? sensors.pending(sensor)
            : replayedPending == null || !replayedPending.outcome().ok()
                ? null
                : pendingOf(anomalyModel, replayedPending.outcome().value());
    scorer
        .alert(p, r.getValue())
        .ifPresent(
            z -> {
              BatchResult<?> none = new BatchResult<>(List.of(), 1, 0, 0, new float[0]);
              AnomalyAlert alert =
                  AnomalyAlert.newBuilder()
                      .setId(r.getId())
                      .setSensorId(sensor)
                      .setEventTime(r.getEventTime())
                      .setValue(r.getValue())
                      .setForecast(p.value())
                      .setZScore(z)
                      .setThreshold(scorer.threshold())
                      .setMetadata(
                          Metadata.of(
                              forecasters.get(anomalyModel).model(), none, step.src().timestamp()))
                      .build();
              emit(anomaliesChild, sensor, alert, step.src());
              metrics().anomaly();
            });
    SensorState.PendingForecast newPending = null;
    for (String m : sensorModels) {
      Batches.Ran<Forecaster.Forecast> ran = made.get(m);
      if (ran == null) {
        continue;
      }
      Forecaster task = forecasters.get(m);
      Forecaster.Forecast f = ran.outcome().value();
      emitPrediction(
          forecastsChild,
          sensor,
          Forecast.newBuilder()
              .setId(r.getId())
              .setSensorId(sensor)
              .setEventTime(r.getEventTime())
              .setForecast(f.value())
              .setWindowSize(task.window())
              .setMetadata(Metadata.of(task.model(), ran.batch(), step.src().timestamp()))
              .build(),
          step.src(),
          task.model());
      if (m.equals(anomalyModel)) {
        newPending = pendingOf(m, f);
      }
    }
    if (!step.replay()) {
      sensors.advance(sensor, newPending);
    }
  }

  private static SensorState.PendingForecast pendingOf(String model, Forecaster.Forecast f) {
    return new SensorState.PendingForecast(model, f.value(), f.windowStd(), f.residualStd());
  }
}

package io.streaminfer.pipeline.topology;

import io.streaminfer.models.InferenceException;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.BatchResult;
import io.streaminfer.models.task.BatchTask;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.models.task.StepForecaster;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 *
 * <p>A stateful model ({@link StepForecaster}) keeps its recurrent state per sensor in the same
 * store and takes one step per reading: the readings of a batch run in rounds, round r holding
 * every sensor's r-th reading of the batch, each round one run across sensors, each sensor's state
 * carried from round to round. A replayed reading gets the forecast the model made for it the first
 * time, which the state keeps for the last readings.
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
  private Map<String, Forecaster> forecasters; // windowed models
  private Map<String, StepForecaster> steppers; // stateful models
  private Map<String, Forecaster> anomalyOnly; // the anomaly model when windowed, else empty
  private int capacity;
  private int features;

  /**
   * A forecast of one model for one reading, whichever kind of model made it: its values (per step
   * ahead, per target feature), the unit of its anomaly score, the run it came from, or the failure
   * of that run.
   */
  private record Made(
      OnnxModel model,
      double value,
      double[][] steps,
      double scale,
      double residualStd,
      int windowSize,
      BatchResult<?> batch,
      InferenceException error) {
    static Made of(Forecaster task, Batches.Ran<Forecaster.Forecast> ran) {
      if (!ran.outcome().ok()) {
        return failed(task.model(), ran.outcome().error());
      }
      Forecaster.Forecast f = ran.outcome().value();
      return new Made(
          task.model(),
          f.value(),
          f.steps(),
          f.windowStd(),
          f.residualStd(),
          task.window(),
          ran.batch(),
          null);
    }

    static Made of(StepForecaster task, Batches.Ran<StepForecaster.Result> ran) {
      if (!ran.outcome().ok()) {
        return failed(task.model(), ran.outcome().error());
      }
      StepForecaster.Result r = ran.outcome().value();
      return new Made(
          task.model(), r.value(), r.steps(), r.scale(), r.residualStd(), 0, ran.batch(), null);
    }

    /** A forecast a stateful model made for a reading before (a replay): no run of its own. */
    static Made replayed(StepForecaster task, double[][] steps) {
      BatchResult<?> none = new BatchResult<>(List.of(), 1, 0, 0, new float[0]);
      StepForecaster.Result r = task.result(steps);
      return new Made(
          task.model(), r.value(), r.steps(), r.scale(), r.residualStd(), 0, none, null);
    }

    static Made failed(OnnxModel model, InferenceException e) {
      return new Made(model, Double.NaN, null, Double.NaN, Double.NaN, 0, null, e);
    }

    SensorState.PendingForecast pending(String ref) {
      return new SensorState.PendingForecast(ref, value, scale, residualStd);
    }
  }

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
    this.forecasters = new LinkedHashMap<>();
    this.steppers = new LinkedHashMap<>();
    for (String m : sensorModels) {
      BatchTask<?, ?, ?> t = models.task(m, BatchTask.class);
      if (t instanceof StepForecaster s) {
        steppers.put(m, s);
      } else {
        forecasters.put(m, (Forecaster) t);
      }
    }
    this.anomalyOnly =
        forecasters.containsKey(anomalyModel)
            ? Map.of(anomalyModel, forecasters.get(anomalyModel))
            : Map.of();
    this.capacity = WindowForecasts.capacity(forecasters);
    this.features = ForecastFamily.features(forecasters.values(), steppers.values());
  }

  @Override
  protected void handle(List<BufferedRecord> batch) {
    SensorWindows sensors =
        new SensorWindows(
            windows::get,
            capacity,
            replayHistory,
            context.currentSystemTimeMs(),
            maxFutureMs,
            steppers,
            features,
            metrics()::stateReset);
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
    // 2. every full window of the batch, per model, in one run; a replay's window before it too;
    // the stateful models' steps in rounds
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
    List<Map<String, Made>> all = new ArrayList<>(steps.size());
    for (var m : made) {
      Map<String, Made> byRef = new HashMap<>();
      m.forEach((ref, ran) -> byRef.put(ref, Made.of(forecasters.get(ref), ran)));
      all.add(byRef);
    }
    List<SensorState.PendingForecast> replayedPending = new ArrayList<>(steps.size());
    for (int s = 0; s < steps.size(); s++) {
      var ran = before.get(s).get(anomalyModel);
      replayedPending.add(
          ran == null || !ran.outcome().ok()
              ? null
              : Made.of(forecasters.get(anomalyModel), ran).pending(anomalyModel));
    }
    step(steps, sensors, all, replayedPending);
    // 3. in arrival order: the anomaly check against the pending forecast, then the new forecasts
    int next = 0;
    for (int i = 0; i < batch.size(); i++) {
      if (rejected[i] != null) {
        deadLetter(batch.get(i), rejected[i], "");
        continue;
      }
      int s = next++;
      apply(steps.get(s), all.get(s), replayedPending.get(s), sensors);
    }
    sensors.commit(windows::put);
  }

  /**
   * The stateful models' forecasts: each new reading one step from its sensor's state, in rounds of
   * one reading per sensor; a replay's forecast (and, when the anomaly model is stateful, the
   * forecast made for it) from what the state kept.
   */
  private void step(
      List<SensorWindows.Step> steps,
      SensorWindows sensors,
      List<Map<String, Made>> all,
      List<SensorState.PendingForecast> replayedPending) {
    if (steppers.isEmpty()) {
      return;
    }
    List<List<Integer>> rounds = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int s = 0; s < steps.size(); s++) {
      SensorWindows.Step st = steps.get(s);
      if (st.replay()) {
        for (var e : steppers.entrySet()) {
          SensorState.Recurrent r = sensors.recurrent(st.sensor(), e.getKey());
          double[][] was = r == null ? null : r.madeAt(st.src().offset());
          if (was != null) {
            all.get(s).put(e.getKey(), Made.replayed(e.getValue(), was));
          }
          if (e.getKey().equals(anomalyModel)) {
            double[][] prior = r == null ? null : r.madeBefore(st.src().offset());
            replayedPending.set(
                s, prior == null ? null : Made.replayed(e.getValue(), prior).pending(anomalyModel));
          }
        }
        continue;
      }
      int round = seen.merge(st.sensor(), 1, Integer::sum) - 1;
      if (round == rounds.size()) {
        rounds.add(new ArrayList<>());
      }
      rounds.get(round).add(s);
    }
    for (List<Integer> round : rounds) {
      for (var e : steppers.entrySet()) {
        String ref = e.getKey();
        StepForecaster task = e.getValue();
        List<StepForecaster.Step> inputs = new ArrayList<>(round.size());
        for (int s : round) {
          SensorWindows.Step st = steps.get(s);
          inputs.add(
              new StepForecaster.Step(
                  new double[][] {st.values()}, sensors.recurrent(st.sensor(), ref).state()));
        }
        var ran = Batches.run(task, inputs, settings().maxSize(), metrics());
        for (int k = 0; k < round.size(); k++) {
          int s = round.get(k);
          SensorWindows.Step st = steps.get(s);
          all.get(s).put(ref, Made.of(task, ran.get(k)));
          if (ran.get(k).outcome().ok()) { // a failed step leaves the state as it was
            StepForecaster.Result r = ran.get(k).outcome().value();
            sensors.advanceRecurrent(
                st.sensor(),
                ref,
                sensors
                    .recurrent(st.sensor(), ref)
                    .next(r.state(), st.src().offset(), r.steps(), sensors.kept()));
          }
        }
      }
    }
  }

  private void apply(
      SensorWindows.Step step,
      Map<String, Made> made,
      SensorState.PendingForecast replayedPending,
      SensorWindows sensors) {
    for (Made m : made.values()) {
      if (m.error() != null) { // ONNX Runtime failed for this reading: nothing of it is emitted
        deadLetter(step.src(), m.error(), m.error().model());
        return;
      }
    }
    SensorReading r = step.reading();
    String sensor = step.sensor();
    SensorState.PendingForecast p = !step.replay() ? sensors.pending(sensor) : replayedPending;
    OnnxModel anomalyTask =
        forecasters.containsKey(anomalyModel)
            ? forecasters.get(anomalyModel).model()
            : steppers.get(anomalyModel).model();
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
                      .setMetadata(Metadata.of(anomalyTask, none, step.src().timestamp(), -1))
                      .build();
              emit(anomaliesChild, sensor, alert, step.src());
              metrics().anomaly();
            });
    SensorState.PendingForecast newPending = null;
    for (String ref : sensorModels) {
      Made m = made.get(ref);
      if (m == null) {
        continue;
      }
      List<List<Double>> stepsOut = new ArrayList<>(m.steps().length);
      for (double[] st : m.steps()) {
        List<Double> row = new ArrayList<>(st.length);
        for (double v : st) {
          row.add(v);
        }
        stepsOut.add(row);
      }
      emitPrediction(
          forecastsChild,
          sensor,
          Forecast.newBuilder()
              .setId(r.getId())
              .setSensorId(sensor)
              .setEventTime(r.getEventTime())
              .setForecast(m.value())
              .setSteps(stepsOut)
              .setWindowSize(m.windowSize())
              .setMetadata(Metadata.of(m.model(), m.batch(), step.src().timestamp(), -1))
              .build(),
          step.src(),
          m.model());
      if (ref.equals(anomalyModel)) {
        newPending = m.pending(ref);
      }
    }
    if (!step.replay()) {
      sensors.advance(sensor, newPending);
    }
  }
}

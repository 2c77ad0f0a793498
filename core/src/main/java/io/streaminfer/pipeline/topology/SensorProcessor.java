package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.BatchResult;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.pipeline.batch.BatchSettings;
import io.streaminfer.pipeline.batch.BatchingProcessor;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.config.ModelRef;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.metrics.PipelineMetrics;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.SensorReading;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps a per-sensor window of readings in a changelogged store and forecasts in micro-batches.
 * Readings of a batch are applied in arrival order: each is validated (keyed by its sensor id,
 * finite, newer than the sensor's last reading), compared with the forecast the anomaly model made
 * for it (an {@link AnomalyAlert} beyond the z-score threshold), and appended to its window; every
 * full window is forecast by every sensor model, all windows of the batch in one run per model
 * (one {@link Forecast} each). A reading whose forecast is still in the same batch is checked
 * against it, so batching changes no result.
 *
 * <p>A reading whose input offset the sensor's state already holds is a replay (at-least-once
 * processing after a crash, when the state's changelog got ahead of the committed input offsets):
 * its forecasts and anomaly check are recomputed from the kept history and emitted again (a
 * duplicate, never a loss), and the state is left as it is. Under exactly-once this cannot happen.
 */
final class SensorProcessor extends BatchingProcessor {
  private final ModelRegistry models;
  private final String windowsStore;
  private final List<String> sensorModels; // the route's model references, name or name:version
  private final String anomalyModel;
  private final double threshold;
  private final String forecastsChild;
  private final String anomaliesChild;
  private final int replayHistory;
  private final Batches.Decoder<SensorReading> decoder = new Batches.Decoder<>(SensorReading.class);
  private KeyValueStore<String, SensorState> windows;

  SensorProcessor(Route route, BatchSettings batching, ModelRegistry models, PipelineMetrics.RouteMetrics metrics) {
    super(metrics, route.bufferStore(), batching, route.deadLetterNode());
    this.models = models;
    this.windowsStore = route.store(ForecastFamily.WINDOWS);
    this.sensorModels = route.models().stream().map(ModelRef::toString).toList();
    this.anomalyModel = route.limits().anomalyModel().orElseThrow().toString();
    this.threshold = route.limits().anomalyZ();
    this.forecastsChild = route.sinkNode(Route.OUTPUT);
    this.anomaliesChild = route.sinkNode(ForecastFamily.ANOMALIES);
    this.replayHistory = route.limits().replayHistory();
  }

  @Override
  public void init(org.apache.kafka.streams.processor.api.ProcessorContext<Object, Object> context) {
    super.init(context);
    this.windows = context.getStateStore(windowsStore);
  }

  /**
   * A valid reading and the readings up to it; a replay also carries the readings before it (for
   * the anomaly model's forecast of it).
   */
  private record Step(int index, BufferedRecord src, SensorReading reading, double[] window, double[] before) {
    boolean replay() {
      return before != null;
    }
  }

  @Override
  protected void handle(List<BufferedRecord> batch) {
    int capacity = 0;
    for (String m : sensorModels) {
      capacity = Math.max(capacity, models.task(m, Forecaster.class).window());
    }
    Map<String, SensorState> states = new HashMap<>();
    Map<String, SensorState.PendingForecast> pending = new HashMap<>(); // as stored before this batch
    Runnable[] rejections = new Runnable[batch.size()];
    List<Step> steps = new ArrayList<>();
    Set<String> appended = new HashSet<>();
    for (int i = 0; i < batch.size(); i++) {
      BufferedRecord src = batch.get(i);
      try {
        SensorReading r = decoder.decode(src);
        Outcomes.require(r.getId() != null && !r.getId().isBlank(), ErrorCode.MISSING_ID, "reading has no id");
        String sensor = src.key() == null ? null : new String(src.key(), StandardCharsets.UTF_8);
        Outcomes.require(sensor != null && !sensor.isBlank(), ErrorCode.MISSING_KEY,
            "sensor readings must be keyed by sensor id (got no key)");
        Outcomes.require(sensor.equals(r.getSensorId()), ErrorCode.MISSING_KEY,
            "record key '" + sensor + "' is not the reading's sensor id '" + r.getSensorId() + "'");
        Outcomes.require(Double.isFinite(r.getValue()), ErrorCode.READING_NOT_FINITE, "reading is " + r.getValue());
        SensorState state = states.computeIfAbsent(sensor, s -> {
          SensorState st = windows.get(s);
          st = st == null ? SensorState.empty() : st;
          pending.put(s, st.pending());
          return st;
        });
        if (state.applied(src.partition(), src.offset())) {
          int j = state.indexOf(src.offset());
          boolean rejectedBefore = j < 0 && state.offsets().length > 0 && src.offset() > state.offsets()[0];
          Outcomes.require(!rejectedBefore, ErrorCode.READING_OUT_OF_ORDER,
              "reading at offset " + src.offset() + " replayed; it was not newer than the sensor's readings");
          // recomputable when the history holds the reading and a full window before it (or has
          // never dropped a reading, so a short window was short the first time too)
          boolean dropped = state.readings().length >= capacity + replayHistory;
          Outcomes.require(j >= 0 && (j >= capacity || !dropped), ErrorCode.READING_REPLAYED, "reading at offset "
              + src.offset() + " was applied before a crash and is older than the kept history (the route's replay.history="
              + replayHistory + "); its forecasts cannot be recomputed");
          steps.add(new Step(i, src, r, state.upTo(j), state.upTo(j - 1)));
          continue;
        }
        long t = r.getEventTime().toEpochMilli();
        Outcomes.require(t > state.lastEventTimeMs(), ErrorCode.READING_OUT_OF_ORDER,
            "reading at " + r.getEventTime() + " is not after the sensor's last reading at "
                + java.time.Instant.ofEpochMilli(state.lastEventTimeMs()));
        SensorState next = state.append(r.getValue(), t, src.partition(), src.offset(), capacity + replayHistory);
        states.put(sensor, next);
        appended.add(sensor);
        steps.add(new Step(i, src, r, next.readings(), null));
      } catch (RuntimeException e) {
        rejections[i] = () -> deadLetter(src, e, "");
      }
    }
    // every full window of the batch, per model, in one run
    Map<String, List<Batches.Ran<Forecaster.Forecast>>> forecasts = new HashMap<>();
    Map<String, List<Integer>> stepOf = new HashMap<>();
    for (String m : sensorModels) {
      Forecaster task = models.task(m, Forecaster.class);
      List<double[]> inputs = new ArrayList<>();
      List<Integer> which = new ArrayList<>();
      for (int s = 0; s < steps.size(); s++) {
        double[] w = steps.get(s).window();
        if (w.length >= task.window()) {
          inputs.add(java.util.Arrays.copyOfRange(w, w.length - task.window(), w.length));
          which.add(s);
        }
      }
      forecasts.put(m, Batches.run(task, inputs, settings().maxSize(), metrics()));
      stepOf.put(m, which);
    }
    Map<Integer, Map<String, Batches.Ran<Forecaster.Forecast>>> byStep = new HashMap<>();
    forecasts.forEach((m, ran) -> {
      List<Integer> which = stepOf.get(m);
      for (int k = 0; k < which.size(); k++) {
        byStep.computeIfAbsent(which.get(k), x -> new HashMap<>()).put(m, ran.get(k));
      }
    });
    // replays: the anomaly model's forecast of the replayed reading, from the readings before it
    Map<Integer, Batches.Ran<Forecaster.Forecast>> replayed = new HashMap<>();
    Forecaster anomalyTask = models.task(anomalyModel, Forecaster.class);
    List<double[]> before = new ArrayList<>();
    List<Integer> beforeOf = new ArrayList<>();
    for (int s = 0; s < steps.size(); s++) {
      double[] w = steps.get(s).before();
      if (w != null && w.length >= anomalyTask.window()) {
        before.add(java.util.Arrays.copyOfRange(w, w.length - anomalyTask.window(), w.length));
        beforeOf.add(s);
      }
    }
    var ranBefore = Batches.run(anomalyTask, before, settings().maxSize(), metrics());
    for (int k = 0; k < beforeOf.size(); k++) {
      replayed.put(beforeOf.get(k), ranBefore.get(k));
    }
    // apply in arrival order: anomaly check against the pending forecast, then new forecasts
    int next = 0;
    for (int i = 0; i < batch.size(); i++) {
      if (rejections[i] != null) {
        rejections[i].run();
        continue;
      }
      Step step = steps.get(next);
      SensorReading r = step.reading();
      String sensor = r.getSensorId();
      Map<String, Batches.Ran<Forecaster.Forecast>> made = byStep.getOrDefault(next, Map.of());
      Batches.Ran<Forecaster.Forecast> replayedPending = replayed.get(next);
      next++;
      for (var ran : made.values()) {
        if (!ran.outcome().ok()) { // ONNX Runtime failed for this window: nothing of it is emitted
          var e = ran.outcome().error();
          deadLetter(step.src(), e, e.model());
          made = null;
          break;
        }
      }
      if (made == null) {
        continue;
      }
      SensorState.PendingForecast p = !step.replay() ? pending.get(sensor)
          : replayedPending == null || !replayedPending.outcome().ok() ? null
          : pendingOf(anomalyModel, replayedPending.outcome().value());
      if (p != null && Math.abs(p.zScore(r.getValue())) > threshold) {
        BatchResult<?> none = new BatchResult<>(List.of(), 1, 0, new float[0]);
        AnomalyAlert alert = AnomalyAlert.newBuilder()
            .setId(r.getId()).setSensorId(sensor).setEventTime(r.getEventTime())
            .setValue(r.getValue()).setForecast(p.value()).setZScore(p.zScore(r.getValue())).setThreshold(threshold)
            .setMetadata(Metadata.of(anomalyTask.model(), none, step.src().timestamp())).build();
        emit(anomaliesChild, sensor, alert, step.src());
        metrics().anomaly();
      }
      SensorState.PendingForecast newPending = null;
      for (String m : sensorModels) {
        Batches.Ran<Forecaster.Forecast> ran = made.get(m);
        if (ran == null) {
          continue;
        }
        Forecaster task = models.task(m, Forecaster.class);
        Forecaster.Forecast f = ran.outcome().value();
        emitPrediction(forecastsChild, sensor, Forecast.newBuilder()
            .setId(r.getId()).setSensorId(sensor).setEventTime(r.getEventTime())
            .setForecast(f.value()).setWindowSize(task.window())
            .setMetadata(Metadata.of(task.model(), ran.batch(), step.src().timestamp())).build(), step.src(), task.model());
        if (m.equals(anomalyModel)) {
          newPending = pendingOf(m, f);
        }
      }
      if (!step.replay()) {
        pending.put(sensor, newPending);
      }
    }
    // only sensors that took a reading changed; one touched by replays alone is left as stored
    appended.forEach(s -> windows.put(s, states.get(s).withPending(pending.get(s))));
  }

  private static SensorState.PendingForecast pendingOf(String model, Forecaster.Forecast f) {
    return new SensorState.PendingForecast(model, f.value(), f.windowStd(), f.residualStd());
  }
}

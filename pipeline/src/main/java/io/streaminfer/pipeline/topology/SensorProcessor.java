package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.BatchResult;
import io.streaminfer.models.task.Forecaster;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.AnomalyAlert;
import io.streaminfer.schemas.Forecast;
import io.streaminfer.schemas.SensorReading;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps a per-sensor window of readings in a changelogged store. Each new reading is first
 * compared with the forecast the anomaly model made for it (an {@link AnomalyAlert} when it lies
 * more than the threshold's z-score away), then appended; once the window is full every sensor
 * model forecasts the next reading (one {@link Forecast} each). Readings must arrive keyed by
 * sensor id, finite and in event-time order per sensor; others are rejected to the dead letters.
 */
final class SensorProcessor implements Processor<String, SensorReading, String, Object> {
  static final String STORE = "sensor-windows";

  private final ModelRegistry models;
  private final List<String> sensorModels;
  private final String anomalyModel;
  private final double threshold;
  private final String forecastsChild;
  private final String anomaliesChild;
  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, SensorState> store;

  SensorProcessor(ModelRegistry models, List<String> sensorModels, String anomalyModel, double threshold,
      String forecastsChild, String anomaliesChild) {
    this.models = models;
    this.sensorModels = sensorModels;
    this.anomalyModel = anomalyModel;
    this.threshold = threshold;
    this.forecastsChild = forecastsChild;
    this.anomaliesChild = anomaliesChild;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
  }

  @Override
  public void process(Record<String, SensorReading> record) {
    SensorReading r = record.value();
    Outcomes.require(r != null, ErrorCode.EMPTY_VALUE, "record has no value");
    Outcomes.require(r.getId() != null && !r.getId().isBlank(), ErrorCode.MISSING_ID, "reading has no id");
    String sensor = record.key();
    Outcomes.require(sensor != null && !sensor.isBlank(), ErrorCode.MISSING_KEY,
        "sensor readings must be keyed by sensor id (got no key)");
    Outcomes.require(sensor.equals(r.getSensorId()), ErrorCode.MISSING_KEY,
        "record key '" + sensor + "' is not the reading's sensor id '" + r.getSensorId() + "'");
    Outcomes.require(Double.isFinite(r.getValue()), ErrorCode.READING_NOT_FINITE, "reading is " + r.getValue());
    SensorState state = store.get(sensor);
    state = state == null ? SensorState.empty() : state;
    long t = r.getEventTime().toEpochMilli();
    Outcomes.require(t > state.lastEventTimeMs(), ErrorCode.READING_OUT_OF_ORDER,
        "reading at " + r.getEventTime() + " is not after the sensor's last reading at "
            + java.time.Instant.ofEpochMilli(state.lastEventTimeMs()));

    List<Record<String, Object>> out = new ArrayList<>();
    SensorState.PendingForecast pending = state.pending();
    Forecaster anomalyTask = models.task(anomalyModel, Forecaster.class);
    int capacity = 0;
    for (String m : sensorModels) {
      capacity = Math.max(capacity, models.task(m, Forecaster.class).window());
    }
    SensorState next = state.append(r.getValue(), t, capacity);
    for (String m : sensorModels) {
      Forecaster task = models.task(m, Forecaster.class);
      if (next.readings().length < task.window()) {
        continue;
      }
      BatchResult<Forecaster.Forecast> res = task.run(List.of(next.tail(task.window())));
      Forecaster.Forecast f = Outcomes.valueOrReject(res.outcomes().get(0), task);
      out.add(record.withKey(sensor).withValue(Forecast.newBuilder()
          .setId(r.getId()).setSensorId(sensor).setEventTime(r.getEventTime())
          .setForecast(f.value()).setWindowSize(task.window())
          .setMetadata(Metadata.of(task.model(), res, record.timestamp())).build()));
      if (m.equals(anomalyModel)) {
        next = next.withPending(new SensorState.PendingForecast(m, f.value(), f.windowStd(), f.residualStd()));
      }
    }
    if (pending != null) {
      double z = pending.zScore(r.getValue());
      if (Math.abs(z) > threshold) {
        BatchResult<?> none = new BatchResult<>(List.of(), 1, 0, new float[0]);
        context.forward(record.withKey(sensor).withValue((Object) AnomalyAlert.newBuilder()
            .setId(r.getId()).setSensorId(sensor).setEventTime(r.getEventTime())
            .setValue(r.getValue()).setForecast(pending.value()).setZScore(z).setThreshold(threshold)
            .setMetadata(Metadata.of(anomalyTask.model(), none, record.timestamp())).build()), anomaliesChild);
      }
    }
    store.put(sensor, next);
    out.forEach(o -> context.forward(o, forecastsChild));
  }
}

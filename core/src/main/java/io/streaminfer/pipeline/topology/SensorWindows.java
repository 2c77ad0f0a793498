package io.streaminfer.pipeline.topology;

import io.streaminfer.models.task.StepForecaster;
import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.schemas.SensorReading;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The per-sensor windows of one batch: reads each sensor's {@link SensorState} once, validates
 * readings in arrival order and appends them (keeping {@code capacity + replayHistory} readings),
 * recognises replays, follows the pending anomaly forecast through the batch, and writes back only
 * the sensors that took a new reading. One instance per batch; not thread-safe.
 *
 * <p>A reading whose input offset the sensor's state already holds is a replay (at-least-once
 * processing after a crash, when the state's changelog got ahead of the committed input offsets):
 * it leaves the state as it is and carries the readings before it, so its forecasts and anomaly
 * check can be recomputed; one older than the kept history is refused (READING_REPLAYED).
 */
final class SensorWindows {
  /**
   * A valid reading and the readings up to it (oldest first, flat: each reading's values in turn);
   * a replay also carries the readings before it, for the anomaly model's forecast of it.
   */
  record Step(BufferedRecord src, SensorReading reading, double[] window, double[] before) {
    /** The reading's values: its value, then its features. */
    double[] values() {
      return valuesOf(reading);
    }

    boolean replay() {
      return before != null;
    }

    String sensor() {
      return reading.getSensorId();
    }
  }

  private final Function<String, SensorState> stored;
  private final int capacity;
  private final int replayHistory;
  private final long latestMs;
  private final Map<String, SensorState> states = new HashMap<>();
  private final Map<String, SensorState.PendingForecast> pending = new HashMap<>();
  private final Set<String> appended = new LinkedHashSet<>();
  private final Map<String, StepForecaster> steppers;
  private final int features;
  private final Runnable onReset;

  /**
   * Windows over the states {@code stored} returns (null: a new sensor), for models needing at most
   * {@code capacity} readings, keeping {@code replayHistory} more, accepting event times up to
   * {@code maxFutureMs} past the wall clock {@code nowMs}.
   */
  SensorWindows(
      Function<String, SensorState> stored,
      int capacity,
      int replayHistory,
      long nowMs,
      long maxFutureMs) {
    this(stored, capacity, replayHistory, nowMs, maxFutureMs, Map.of(), 1, () -> {});
  }

  /**
   * As above, for a route whose readings carry {@code features} values and whose stateful models
   * are {@code steppers} (by reference); {@code onReset} is told of each recurrent state started
   * afresh because it was made by another model version.
   */
  SensorWindows(
      Function<String, SensorState> stored,
      int capacity,
      int replayHistory,
      long nowMs,
      long maxFutureMs,
      Map<String, StepForecaster> steppers,
      int features,
      Runnable onReset) {
    this.steppers = steppers;
    this.features = features;
    this.onReset = onReset;
    this.stored = stored;
    this.capacity = capacity;
    this.replayHistory = replayHistory;
    this.latestMs = nowMs + maxFutureMs;
  }

  /**
   * Validates {@code r}, read from {@code src}, against its sensor's state and appends it (or
   * recognises it as a replay). Throws {@link io.streaminfer.pipeline.dlq.RejectedEventException}
   * with MISSING_ID, MISSING_KEY, READING_NOT_FINITE, READING_TIME_SKEW, READING_OUT_OF_ORDER or
   * READING_REPLAYED. A stored state whose last reading lies beyond the accepted future (written
   * before the bound existed) starts afresh, so a sensor is never refused for good.
   */
  Step admit(BufferedRecord src, SensorReading r) {
    Outcomes.require(
        r.getId() != null && !r.getId().isBlank(), ErrorCode.MISSING_ID, "reading has no id");
    String sensor = src.key() == null ? null : new String(src.key(), StandardCharsets.UTF_8);
    Outcomes.require(
        sensor != null && !sensor.isBlank(),
        ErrorCode.MISSING_KEY,
        "sensor readings must be keyed by sensor id (got no key)");
    Outcomes.require(
        sensor.equals(r.getSensorId()),
        ErrorCode.MISSING_KEY,
        "record key '" + sensor + "' is not the reading's sensor id '" + r.getSensorId() + "'");
    Outcomes.require(
        Double.isFinite(r.getValue()), ErrorCode.READING_NOT_FINITE, "reading is " + r.getValue());
    int n = 1 + r.getFeatures().size();
    Outcomes.require(
        n == features,
        ErrorCode.READING_FEATURES,
        "reading carries "
            + n
            + " values (value and "
            + r.getFeatures().size()
            + " features); the route's models take "
            + features
            + (features == 1 ? " (the value alone)" : " (the value and " + (features - 1) + ")"));
    for (int f = 0; f < r.getFeatures().size(); f++) {
      double v = r.getFeatures().get(f);
      Outcomes.require(
          Double.isFinite(v),
          ErrorCode.READING_NOT_FINITE,
          "feature " + (f + 1) + " of the reading is " + v);
    }
    // checked before the replay test: it needs no state, so a reading refused for it is refused
    // for it again when read again after a crash, not taken for one refused as out of order
    long t = r.getEventTime().toEpochMilli();
    Outcomes.require(
        t <= latestMs,
        ErrorCode.READING_TIME_SKEW,
        "reading at "
            + r.getEventTime()
            + " lies more than the route's max.future.ms past the wall clock ("
            + Instant.ofEpochMilli(latestMs)
            + " at the latest)");
    SensorState state =
        states.computeIfAbsent(
            sensor,
            s -> {
              SensorState st = stored.apply(s);
              st = st == null || st.lastEventTimeMs() > latestMs ? SensorState.empty() : st;
              pending.put(s, st.pending());
              return st;
            });
    if (state.applied(src.partition(), src.offset())) {
      return replay(state, src, r);
    }
    Outcomes.require(
        t > state.lastEventTimeMs(),
        ErrorCode.READING_OUT_OF_ORDER,
        "reading at "
            + r.getEventTime()
            + " is not after the sensor's last reading at "
            + Instant.ofEpochMilli(state.lastEventTimeMs()));
    state = checkRecurrent(sensor, state);
    if (state.count() > 0 && state.width() != features) { // the route's models changed size
      onReset.run();
    }
    SensorState next =
        state.append(valuesOf(r), t, src.partition(), src.offset(), capacity + replayHistory);
    states.put(sensor, next);
    appended.add(sensor);
    return new Step(src, r, next.readings(), null);
  }

  private Step replay(SensorState state, BufferedRecord src, SensorReading r) {
    int j = state.indexOf(src.offset());
    boolean rejectedBefore =
        j < 0 && state.offsets().length > 0 && src.offset() > state.offsets()[0];
    Outcomes.require(
        !rejectedBefore,
        ErrorCode.READING_OUT_OF_ORDER,
        "reading at offset "
            + src.offset()
            + " replayed; it was not newer than the sensor's readings");
    // recomputable when the history holds the reading and a full window before it (or has never
    // dropped a reading, so a short window was short the first time too)
    boolean dropped = state.count() >= capacity + replayHistory;
    Outcomes.require(
        j >= 0 && (j >= capacity || !dropped) && state.width() == features,
        ErrorCode.READING_REPLAYED,
        "reading at offset "
            + src.offset()
            + " was applied before a crash and is older than the kept history (the route's replay.history="
            + replayHistory
            + "); its forecasts cannot be recomputed");
    return new Step(src, r, state.upTo(j), state.upTo(j - 1));
  }

  /**
   * {@code state} with every stateful model's state fit to be fed: a state made by another model
   * version (or with other state tensors) starts afresh from the model's initial state, as does a
   * sensor new to the model; a state of this very model whose sizes do not fit (a corrupt store) is
   * reset too, and the reading refused (STATE_MISMATCH) rather than fed a state it was not made
   * with.
   */
  private SensorState checkRecurrent(String sensor, SensorState state) {
    SensorState out = state;
    for (var e : steppers.entrySet()) {
      StepForecaster m = e.getValue();
      SensorState.Recurrent r = out.recurrent().get(e.getKey());
      if (r != null && r.signature().equals(m.signature()) && m.fits(r.state())) {
        continue;
      }
      boolean corrupt = r != null && r.signature().equals(m.signature());
      if (r != null && !corrupt) {
        onReset.run();
      }
      out =
          out.withRecurrent(
              e.getKey(), SensorState.Recurrent.fresh(m.signature(), m.initialState()));
      if (corrupt) {
        states.put(sensor, out);
        appended.add(sensor);
        throw new io.streaminfer.pipeline.dlq.RejectedEventException(
            ErrorCode.STATE_MISMATCH,
            m.model().card().id(),
            "the sensor's stored state for "
                + m.model().card().id()
                + " does not have the sizes of the model's state tensors "
                + m.states().stream().map(s -> s.input() + ":" + s.elements()).toList()
                + "; the sensor starts afresh from its next reading");
      }
    }
    return out;
  }

  /** {@code sensor}'s state for stateful model {@code ref} at this point of the batch. */
  SensorState.Recurrent recurrent(String sensor, String ref) {
    return states.get(sensor).recurrent().get(ref);
  }

  /** Moves {@code sensor}'s state for stateful model {@code ref} on to {@code r}. */
  void advanceRecurrent(String sensor, String ref, SensorState.Recurrent r) {
    states.put(sensor, states.get(sensor).withRecurrent(ref, r));
  }

  /** The readings kept per sensor (and forecasts kept per stateful model for replays). */
  int kept() {
    return capacity + replayHistory;
  }

  /** A reading's values: its value, then its features. */
  static double[] valuesOf(SensorReading r) {
    double[] v = new double[1 + r.getFeatures().size()];
    v[0] = r.getValue();
    for (int i = 1; i < v.length; i++) {
      v[i] = r.getFeatures().get(i - 1);
    }
    return v;
  }

  /**
   * The anomaly model's forecast for {@code sensor}'s next new reading, at this point of the batch.
   */
  SensorState.PendingForecast pending(String sensor) {
    return pending.get(sensor);
  }

  /**
   * After a new reading of {@code sensor}: the forecast its window made for the next one (or null).
   */
  void advance(String sensor, SensorState.PendingForecast next) {
    pending.put(sensor, next);
  }

  /**
   * Writes the state of every sensor that took a new reading, with its pending forecast; a sensor
   * touched by replays alone is left as stored.
   */
  void commit(BiConsumer<String, SensorState> write) {
    appended.forEach(s -> write.accept(s, states.get(s).withPending(pending.get(s))));
  }
}

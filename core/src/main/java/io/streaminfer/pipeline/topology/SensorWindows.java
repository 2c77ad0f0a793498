package io.streaminfer.pipeline.topology;

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
   * A valid reading and the readings up to it (oldest first); a replay also carries the readings
   * before it, for the anomaly model's forecast of it.
   */
  record Step(BufferedRecord src, SensorReading reading, double[] window, double[] before) {
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
    SensorState next =
        state.append(r.getValue(), t, src.partition(), src.offset(), capacity + replayHistory);
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
    boolean dropped = state.readings().length >= capacity + replayHistory;
    Outcomes.require(
        j >= 0 && (j >= capacity || !dropped),
        ErrorCode.READING_REPLAYED,
        "reading at offset "
            + src.offset()
            + " was applied before a crash and is older than the kept history (the route's replay.history="
            + replayHistory
            + "); its forecasts cannot be recomputed");
    return new Step(src, r, state.upTo(j), state.upTo(j - 1));
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

package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.batch.BufferedRecord;
import io.streaminfer.pipeline.dlq.ErrorCode;
import io.streaminfer.pipeline.dlq.RejectedEventException;
import io.streaminfer.schemas.SensorReading;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** Window upkeep and replay handling of one batch, without models or Kafka. */
class SensorWindowsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final long NOW = T0.plusSeconds(86_400).toEpochMilli();
  private static final long HOUR = 3_600_000L;
  private final Map<String, SensorState> store = new HashMap<>();

  private static BufferedRecord src(String key, long offset) {
    return new BufferedRecord(
        "readings",
        0,
        offset,
        1L,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        new byte[0],
        new RecordHeaders());
  }

  private static SensorReading reading(String sensor, int second, double value) {
    return SensorReading.newBuilder()
        .setId(sensor + "-" + second)
        .setSensorId(sensor)
        .setEventTime(T0.plusSeconds(second))
        .setValue(value)
        .build();
  }

  /** {@code r} dated in the year 3000. */
  private static SensorReading year3000(SensorReading r) {
    return SensorReading.newBuilder(r).setEventTime(Instant.parse("3000-01-01T00:00:00Z")).build();
  }

  private static ErrorCode codeOf(Runnable r) {
    try {
      r.run();
    } catch (RejectedEventException e) {
      return e.code();
    }
    throw new AssertionError("not rejected");
  }

  @Test
  void shouldAppendReadingsInOrderKeepingCapacityPlusHistory() {
    SensorWindows w = new SensorWindows(store::get, 3, 2, NOW, HOUR);
    for (int i = 0; i < 7; i++) {
      SensorWindows.Step s = w.admit(src("s", i), reading("s", i, i));
      assertThat(s.replay()).isFalse();
      assertThat(s.window()).hasSize(Math.min(i + 1, 5)).endsWith((double) i);
    }
    w.commit(store::put);
    assertThat(store.get("s").readings()).containsExactly(2, 3, 4, 5, 6);
    assertThat(store.get("s").offsets()).containsExactly(2, 3, 4, 5, 6);
  }

  @Test
  void shouldRejectWhatCannotBeAReadingOfItsSensor() {
    SensorWindows w = new SensorWindows(store::get, 3, 2, NOW, HOUR);
    w.admit(src("s", 0), reading("s", 10, 1));
    assertThat(codeOf(() -> w.admit(src(null, 1), reading("s", 11, 1))))
        .isEqualTo(ErrorCode.MISSING_KEY);
    assertThat(codeOf(() -> w.admit(src("other", 2), reading("s", 11, 1))))
        .isEqualTo(ErrorCode.MISSING_KEY);
    assertThat(codeOf(() -> w.admit(src("s", 3), reading("s", 11, Double.NaN))))
        .isEqualTo(ErrorCode.READING_NOT_FINITE);
    assertThat(codeOf(() -> w.admit(src("s", 4), reading("s", 10, 2))))
        .as("same time")
        .isEqualTo(ErrorCode.READING_OUT_OF_ORDER);
    assertThat(codeOf(() -> w.admit(src("s", 5), reading("s", 9, 2))))
        .as("older")
        .isEqualTo(ErrorCode.READING_OUT_OF_ORDER);
    SensorReading noId = SensorReading.newBuilder(reading("s", 12, 1)).setId(" ").build();
    assertThat(codeOf(() -> w.admit(src("s", 6), noId))).isEqualTo(ErrorCode.MISSING_ID);
  }

  @Test
  void shouldRecogniseAReplayAndLeaveTheStateAsItWas() {
    SensorWindows first = new SensorWindows(store::get, 3, 2, NOW, HOUR);
    for (int i = 0; i < 5; i++) {
      first.admit(src("s", i), reading("s", i, 10 + i));
    }
    first.commit(store::put);
    SensorState stored = store.get("s");

    SensorWindows again = new SensorWindows(store::get, 3, 2, NOW, HOUR);
    SensorWindows.Step replay = again.admit(src("s", 3), reading("s", 3, 13));
    assertThat(replay.replay()).isTrue();
    assertThat(replay.window()).containsExactly(10, 11, 12, 13);
    assertThat(replay.before()).containsExactly(10, 11, 12);
    again.commit(store::put);
    assertThat(store.get("s")).isSameAs(stored);
  }

  @Test
  void shouldRefuseAReplayOlderThanTheKeptHistory() {
    SensorWindows first = new SensorWindows(store::get, 3, 1, NOW, HOUR);
    for (int i = 0; i < 8; i++) {
      first.admit(src("s", i), reading("s", i, i));
    }
    first.commit(store::put); // keeps offsets 4..7
    SensorWindows again = new SensorWindows(store::get, 3, 1, NOW, HOUR);
    assertThat(codeOf(() -> again.admit(src("s", 2), reading("s", 2, 2))))
        .isEqualTo(ErrorCode.READING_REPLAYED);
    assertThat(codeOf(() -> again.admit(src("s", 5), reading("s", 5, 5))))
        .as("no full window before it")
        .isEqualTo(ErrorCode.READING_REPLAYED);
    assertThat(again.admit(src("s", 7), reading("s", 7, 7)).before()).containsExactly(4, 5, 6);
  }

  @Test
  void shouldFollowThePendingForecastThroughTheBatchAndStoreTheLast() {
    store.put("s", SensorState.empty().withPending(new SensorState.PendingForecast("m", 1, 1, 1)));
    SensorWindows w = new SensorWindows(store::get, 3, 2, NOW, HOUR);
    w.admit(src("s", 0), reading("s", 0, 1));
    assertThat(w.pending("s").value()).as("as stored").isEqualTo(1);
    w.advance("s", new SensorState.PendingForecast("m", 5, 1, 1));
    assertThat(w.pending("s").value()).isEqualTo(5);
    w.commit(store::put);
    assertThat(store.get("s").pending().value()).isEqualTo(5);
  }

  @Test
  void shouldRefuseAReadingFarInTheFutureAndKeepServingTheSensor() {
    SensorWindows w = new SensorWindows(store::get, 3, 2, NOW, HOUR);
    w.admit(src("s", 0), reading("s", 0, 1));
    SensorReading year3000 = year3000(reading("s", 1, 2));
    assertThat(codeOf(() -> w.admit(src("s", 1), year3000))).isEqualTo(ErrorCode.READING_TIME_SKEW);
    assertThat(w.admit(src("s", 2), reading("s", 2, 3)).window())
        .as("the next normal reading")
        .containsExactly(1, 3);
    SensorReading before1970 =
        SensorReading.newBuilder(reading("t", 0, 1))
            .setEventTime(Instant.parse("1850-06-01T00:00:00Z"))
            .build();
    assertThat(w.admit(src("t", 3), before1970).window())
        .as("historical data is accepted")
        .containsExactly(1);
  }

  @Test
  void shouldRefuseAFarFutureReadingReadAgainAfterACrashForTheSameReason() {
    SensorWindows first = new SensorWindows(store::get, 3, 2, NOW, HOUR);
    first.admit(src("s", 0), reading("s", 0, 1));
    SensorReading year3000 = year3000(reading("s", 1, 2));
    assertThat(codeOf(() -> first.admit(src("s", 1), year3000)))
        .isEqualTo(ErrorCode.READING_TIME_SKEW);
    first.admit(src("s", 2), reading("s", 2, 3));
    first.commit(store::put);
    // at-least-once: the state holds offset 2, the input is read again from offset 1
    SensorWindows again = new SensorWindows(store::get, 3, 2, NOW, HOUR);
    assertThat(codeOf(() -> again.admit(src("s", 1), year3000)))
        .isEqualTo(ErrorCode.READING_TIME_SKEW);
    assertThat(again.admit(src("s", 2), reading("s", 2, 3)).replay()).isTrue();
  }

  @Test
  void shouldStartAfreshASensorWhoseStoredLastReadingIsFarInTheFuture() {
    // a state written before the bound existed: its last reading is in the year 3000
    store.put(
        "s",
        SensorState.empty()
            .append(5, Instant.parse("3000-01-01T00:00:00Z").toEpochMilli(), 0, 0, 5));
    SensorWindows w = new SensorWindows(store::get, 3, 2, NOW, HOUR);
    assertThat(w.admit(src("s", 1), reading("s", 1, 7)).window()).containsExactly(7);
  }
}

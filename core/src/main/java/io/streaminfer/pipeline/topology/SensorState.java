package io.streaminfer.pipeline.topology;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What the pipeline remembers per sensor, in a changelogged store: the last readings (oldest first)
 * with the input offsets they came from, the last event time, and the forecast the anomaly model
 * made for the next reading. It keeps more readings than the longest window (the replay history) so
 * that a reading read again after an at-least-once crash, whose effect on the window already
 * reached the changelog, can have its forecasts recomputed instead of being rejected as a
 * duplicate. Immutable.
 *
 * @param readings the most recent readings, oldest first
 * @param offsets the input offset of each reading (same order); -1 where unknown
 * @param partition the input partition the offsets belong to; -1 when none yet
 * @param lastEventTimeMs event time of the newest reading
 * @param pending the anomaly model's forecast for the next reading, or null
 */
record SensorState(
    double[] readings,
    long[] offsets,
    int partition,
    long lastEventTimeMs,
    PendingForecast pending) {

  /** A forecast waiting for the reading it predicts. */
  record PendingForecast(String model, double value, double windowStd, double residualStd) {
    double zScore(double actual) {
      return (actual - value) / (windowStd * residualStd);
    }
  }

  static SensorState empty() {
    return new SensorState(new double[0], new long[0], -1, Long.MIN_VALUE, null);
  }

  /**
   * This state with {@code value} (read at {@code partition}/{@code offset}) appended, keeping at
   * most {@code keep} readings.
   */
  SensorState append(double value, long eventTimeMs, int partition, long offset, int keep) {
    int from = Math.max(0, readings.length + 1 - keep);
    double[] next = Arrays.copyOfRange(readings, from, readings.length + 1);
    next[next.length - 1] = value;
    long[] nextOffsets = Arrays.copyOfRange(offsets, from, offsets.length + 1);
    nextOffsets[nextOffsets.length - 1] = offset;
    return new SensorState(next, nextOffsets, partition, eventTimeMs, null);
  }

  SensorState withPending(PendingForecast p) {
    return new SensorState(readings, offsets, partition, lastEventTimeMs, p);
  }

  /**
   * Whether the input record at {@code partition}/{@code offset} was already applied to this state:
   * a replay after an at-least-once crash, not a new reading.
   */
  boolean applied(int partition, long offset) {
    return partition == this.partition
        && offsets.length > 0
        && offset <= offsets[offsets.length - 1];
  }

  /** Index of the reading read at {@code offset}, or -1 when it is older than the history. */
  int indexOf(long offset) {
    int i = Arrays.binarySearch(offsets, offset);
    return i >= 0 ? i : -1;
  }

  /** The readings up to and including index {@code last} (oldest first). */
  double[] upTo(int last) {
    return Arrays.copyOfRange(readings, 0, last + 1);
  }

  /** Versioned binary serde for the state store and its changelog. */
  static final class StateSerde
      implements Serde<SensorState>, Serializer<SensorState>, Deserializer<SensorState> {
    private static final byte VERSION = 2;

    @Override
    public byte[] serialize(String topic, SensorState s) {
      if (s == null) {
        return null;
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(24 + 16 * s.readings.length);
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeByte(VERSION);
        out.writeLong(s.lastEventTimeMs);
        out.writeInt(s.partition);
        out.writeInt(s.readings.length);
        for (int i = 0; i < s.readings.length; i++) {
          out.writeDouble(s.readings[i]);
          out.writeLong(s.offsets[i]);
        }
        out.writeBoolean(s.pending != null);
        if (s.pending != null) {
          out.writeUTF(s.pending.model());
          out.writeDouble(s.pending.value());
          out.writeDouble(s.pending.windowStd());
          out.writeDouble(s.pending.residualStd());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bytes.toByteArray();
    }

    @Override
    public SensorState deserialize(String topic, byte[] data) {
      if (data == null) {
        return null;
      }
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
        byte v = in.readByte();
        if (v != VERSION && v != 1) {
          throw new SerializationException(
              "sensor state version " + v + " unknown (expected 1 or " + VERSION + ")");
        }
        long last = in.readLong();
        int partition = v == 1 ? -1 : in.readInt(); // version 1 kept no offsets
        double[] readings = new double[in.readInt()];
        long[] offsets = new long[readings.length];
        for (int i = 0; i < readings.length; i++) {
          readings[i] = in.readDouble();
          offsets[i] = v == 1 ? -1 : in.readLong();
        }
        PendingForecast p =
            in.readBoolean()
                ? new PendingForecast(
                    in.readUTF(), in.readDouble(), in.readDouble(), in.readDouble())
                : null;
        return new SensorState(readings, offsets, partition, last, p);
      } catch (IOException e) {
        throw new SerializationException("corrupt sensor state", e);
      }
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
      // no settings
    }

    @Override
    public void close() {
      // nothing to release
    }

    @Override
    public Serializer<SensorState> serializer() {
      return this;
    }

    @Override
    public Deserializer<SensorState> deserializer() {
      return this;
    }
  }
}

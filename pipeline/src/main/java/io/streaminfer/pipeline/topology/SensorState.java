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
 * What the pipeline remembers per sensor, in a changelogged store: the last readings (oldest
 * first, at most the window length), the last event time, and the forecast the anomaly model made
 * for the next reading. Immutable.
 *
 * @param readings the most recent readings, oldest first
 * @param lastEventTimeMs event time of the newest reading
 * @param pending the anomaly model's forecast for the next reading, or null
 */
record SensorState(double[] readings, long lastEventTimeMs, PendingForecast pending) {

  /** A forecast waiting for the reading it predicts. */
  record PendingForecast(String model, double value, double windowStd, double residualStd) {
    double zScore(double actual) {
      return (actual - value) / (windowStd * residualStd);
    }
  }

  static SensorState empty() {
    return new SensorState(new double[0], Long.MIN_VALUE, null);
  }

  /** This state with {@code value} appended, keeping at most {@code capacity} readings. */
  SensorState append(double value, long eventTimeMs, int capacity) {
    double[] next = Arrays.copyOfRange(readings, Math.max(0, readings.length + 1 - capacity), readings.length + 1);
    next[next.length - 1] = value;
    return new SensorState(next, eventTimeMs, null);
  }

  SensorState withPending(PendingForecast p) {
    return new SensorState(readings, lastEventTimeMs, p);
  }

  /** The last {@code n} readings. */
  double[] tail(int n) {
    return Arrays.copyOfRange(readings, readings.length - n, readings.length);
  }

  /** Versioned binary serde for the state store and its changelog. */
  static final class StateSerde implements Serde<SensorState>, Serializer<SensorState>, Deserializer<SensorState> {
    private static final byte VERSION = 1;

    @Override
    public byte[] serialize(String topic, SensorState s) {
      if (s == null) {
        return null;
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 8 * s.readings.length);
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeByte(VERSION);
        out.writeLong(s.lastEventTimeMs);
        out.writeInt(s.readings.length);
        for (double r : s.readings) {
          out.writeDouble(r);
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
        if (v != VERSION) {
          throw new SerializationException("sensor state version " + v + " unknown (expected " + VERSION + ")");
        }
        long last = in.readLong();
        double[] readings = new double[in.readInt()];
        for (int i = 0; i < readings.length; i++) {
          readings[i] = in.readDouble();
        }
        PendingForecast p = in.readBoolean()
            ? new PendingForecast(in.readUTF(), in.readDouble(), in.readDouble(), in.readDouble())
            : null;
        return new SensorState(readings, last, p);
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

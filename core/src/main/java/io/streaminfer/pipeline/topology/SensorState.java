package io.streaminfer.pipeline.topology;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
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
 * @param readings the most recent readings, oldest first, each {@code width} values one after the
 *     other (its value, then its features)
 * @param offsets the input offset of each reading (same order); -1 where unknown
 * @param partition the input partition the offsets belong to; -1 when none yet
 * @param lastEventTimeMs event time of the newest reading
 * @param pending the anomaly model's forecast for the next reading, or null
 * @param recurrent per stateful model of the route (by reference), its state for this sensor
 * @param width values per reading
 */
record SensorState(
    double[] readings,
    long[] offsets,
    int partition,
    long lastEventTimeMs,
    PendingForecast pending,
    Map<String, Recurrent> recurrent,
    int width) {

  /**
   * A stateful model's state for one sensor: what it was made with (the model's {@link
   * io.streaminfer.models.task.StepForecaster#signature() signature}), the state tensors (one array
   * each, the batch axis removed), and the forecasts of the last readings it took, by input offset,
   * so that a reading read again after an at-least-once crash gets the forecast it got the first
   * time (the state has already moved past it).
   */
  record Recurrent(String signature, float[][] state, long[] recentOffsets, double[][][] recent) {
    /** This state after the reading at {@code offset} gave {@code steps}, keeping {@code keep}. */
    Recurrent next(float[][] nextState, long offset, double[][] steps, int keep) {
      int from = Math.max(0, recentOffsets.length + 1 - keep);
      long[] o = Arrays.copyOfRange(recentOffsets, from, recentOffsets.length + 1);
      o[o.length - 1] = offset;
      double[][][] r = Arrays.copyOfRange(recent, from, recent.length + 1);
      r[r.length - 1] = steps;
      return new Recurrent(signature, nextState, o, r);
    }

    /** The forecast made after the reading at {@code offset}, or null when not kept. */
    double[][] madeAt(long offset) {
      int i = Arrays.binarySearch(recentOffsets, offset);
      return i >= 0 ? recent[i] : null;
    }

    /** The forecast made after the last kept reading before {@code offset}, or null. */
    double[][] madeBefore(long offset) {
      int i = Arrays.binarySearch(recentOffsets, offset);
      int prior = (i >= 0 ? i : -i - 1) - 1;
      return prior >= 0 ? recent[prior] : null;
    }

    static Recurrent fresh(String signature, float[][] state) {
      return new Recurrent(signature, state, new long[0], new double[0][][]);
    }
  }

  /** A forecast waiting for the reading it predicts. */
  record PendingForecast(String model, double value, double windowStd, double residualStd) {
    double zScore(double actual) {
      return (actual - value) / (windowStd * residualStd);
    }
  }

  static SensorState empty() {
    return new SensorState(new double[0], new long[0], -1, Long.MIN_VALUE, null, Map.of(), 1);
  }

  /** Readings kept. */
  int count() {
    return offsets.length;
  }

  /**
   * This state with a reading of one value appended (see {@link #append(double[], long, int, long,
   * int)}).
   */
  SensorState append(double value, long eventTimeMs, int partition, long offset, int keep) {
    return append(new double[] {value}, eventTimeMs, partition, offset, keep);
  }

  /**
   * This state with the reading {@code values} (read at {@code partition}/{@code offset}) appended,
   * keeping at most {@code keep} readings; readings of another width than the kept ones replace
   * them (the route's models now take readings of another size).
   */
  SensorState append(double[] values, long eventTimeMs, int partition, long offset, int keep) {
    int w = values.length;
    double[] kept = w == width ? readings : new double[0];
    long[] keptOffsets = w == width ? offsets : new long[0];
    int n = keptOffsets.length;
    int from = Math.max(0, n + 1 - keep);
    double[] next = Arrays.copyOfRange(kept, from * w, (n + 1) * w);
    System.arraycopy(values, 0, next, next.length - w, w);
    long[] nextOffsets = Arrays.copyOfRange(keptOffsets, from, n + 1);
    nextOffsets[nextOffsets.length - 1] = offset;
    return new SensorState(next, nextOffsets, partition, eventTimeMs, null, recurrent, w);
  }

  SensorState withPending(PendingForecast p) {
    return new SensorState(readings, offsets, partition, lastEventTimeMs, p, recurrent, width);
  }

  /** This state with {@code model}'s recurrent state replaced by {@code r}. */
  SensorState withRecurrent(String model, Recurrent r) {
    Map<String, Recurrent> m = new TreeMap<>(recurrent);
    m.put(model, r);
    return new SensorState(
        readings, offsets, partition, lastEventTimeMs, pending, Map.copyOf(m), width);
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

  /** The readings up to and including index {@code last} (oldest first), flat. */
  double[] upTo(int last) {
    return Arrays.copyOfRange(readings, 0, (last + 1) * width);
  }

  /** Versioned binary serde for the state store and its changelog. */
  static final class StateSerde
      implements Serde<SensorState>, Serializer<SensorState>, Deserializer<SensorState> {
    private static final byte VERSION = 4;

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
        out.writeInt(s.width);
        out.writeInt(s.count());
        for (int i = 0; i < s.count(); i++) {
          for (int k = 0; k < s.width; k++) {
            out.writeDouble(s.readings[i * s.width + k]);
          }
          out.writeLong(s.offsets[i]);
        }
        out.writeBoolean(s.pending != null);
        if (s.pending != null) {
          out.writeUTF(s.pending.model());
          out.writeDouble(s.pending.value());
          out.writeDouble(s.pending.windowStd());
          out.writeDouble(s.pending.residualStd());
        }
        out.writeInt(s.recurrent.size());
        for (var e : new TreeMap<>(s.recurrent).entrySet()) {
          Recurrent r = e.getValue();
          out.writeUTF(e.getKey());
          out.writeUTF(r.signature());
          out.writeInt(r.state().length);
          for (float[] t : r.state()) {
            out.writeInt(t.length);
            for (float v : t) {
              out.writeFloat(v);
            }
          }
          out.writeInt(r.recentOffsets().length);
          for (int i = 0; i < r.recentOffsets().length; i++) {
            out.writeLong(r.recentOffsets()[i]);
            double[][] steps = r.recent()[i];
            out.writeInt(steps.length);
            for (double[] st : steps) {
              out.writeInt(st.length);
              for (double v : st) {
                out.writeDouble(v);
              }
            }
          }
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
        if (v < 1 || v > VERSION) {
          throw new SerializationException(
              "sensor state version " + v + " unknown (expected 1 to " + VERSION + ")");
        }
        long last = in.readLong();
        int partition = v == 1 ? -1 : in.readInt(); // version 1 kept no offsets
        int width = v < 4 ? 1 : bounded(in.readInt()); // version 4 added readings' features
        if (width < 1) {
          throw new IOException("reading width " + width);
        }
        long[] offsets = new long[bounded(in.readInt())];
        double[] readings = new double[Math.multiplyExact(offsets.length, width)];
        for (int i = 0; i < offsets.length; i++) {
          for (int k = 0; k < width; k++) {
            readings[i * width + k] = in.readDouble();
          }
          offsets[i] = v == 1 ? -1 : in.readLong();
        }
        PendingForecast p =
            in.readBoolean()
                ? new PendingForecast(
                    in.readUTF(), in.readDouble(), in.readDouble(), in.readDouble())
                : null;
        Map<String, Recurrent> recurrent = new TreeMap<>();
        int models = v < 3 ? 0 : in.readInt(); // version 3 added recurrent states
        for (int m = 0; m < models; m++) {
          String ref = in.readUTF();
          String signature = in.readUTF();
          float[][] state = new float[bounded(in.readInt())][];
          for (int i = 0; i < state.length; i++) {
            state[i] = new float[bounded(in.readInt())];
            for (int k = 0; k < state[i].length; k++) {
              state[i][k] = in.readFloat();
            }
          }
          int n = bounded(in.readInt());
          long[] recentOffsets = new long[n];
          double[][][] recent = new double[n][][];
          for (int i = 0; i < n; i++) {
            recentOffsets[i] = in.readLong();
            recent[i] = new double[bounded(in.readInt())][];
            for (int h = 0; h < recent[i].length; h++) {
              recent[i][h] = new double[bounded(in.readInt())];
              for (int k = 0; k < recent[i][h].length; k++) {
                recent[i][h][k] = in.readDouble();
              }
            }
          }
          recurrent.put(ref, new Recurrent(signature, state, recentOffsets, recent));
        }
        if (in.available() > 0) {
          throw new SerializationException("corrupt sensor state: trailing bytes");
        }
        return new SensorState(readings, offsets, partition, last, p, Map.copyOf(recurrent), width);
      } catch (IOException e) {
        throw new SerializationException("corrupt sensor state", e);
      }
    }

    /** A length read from the store: refused when negative or beyond what the bytes could hold. */
    private static int bounded(int n) throws IOException {
      if (n < 0 || n > 1 << 24) {
        throw new IOException("length " + n + " out of range");
      }
      return n;
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

package io.streaminfer.models.task;

import io.streaminfer.models.runtime.OnnxModel;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-thread reusable direct buffers for model inputs, grown on demand, so the hot path allocates
 * no native memory per record. Not thread-safe: {@link BatchTask} keeps one per stream thread.
 */
final class Scratch {
  private final Map<String, FloatBuffer> floats = new HashMap<>();
  private final Map<String, LongBuffer> longs = new HashMap<>();
  private final Map<String, ByteBuffer> bytes = new HashMap<>();

  /** A float buffer with room for {@code n} values, limit set to {@code n}. */
  FloatBuffer floats(String name, int n) {
    FloatBuffer b = floats.get(name);
    if (b == null || b.capacity() < n) {
      b = OnnxModel.floatBuffer(Math.max(n, b == null ? 0 : 2 * b.capacity()));
      floats.put(name, b);
    }
    b.clear().limit(n);
    return b;
  }

  /** A long buffer with room for {@code n} values, limit set to {@code n}. */
  LongBuffer longs(String name, int n) {
    LongBuffer b = longs.get(name);
    if (b == null || b.capacity() < n) {
      b = OnnxModel.longBuffer(Math.max(n, b == null ? 0 : 2 * b.capacity()));
      longs.put(name, b);
    }
    b.clear().limit(n);
    return b;
  }

  /** A byte buffer with room for {@code n} values, limit set to {@code n}. */
  ByteBuffer bytes(String name, int n) {
    ByteBuffer b = bytes.get(name);
    if (b == null || b.capacity() < n) {
      b = OnnxModel.byteBuffer(Math.max(n, b == null ? 0 : 2 * b.capacity()));
      bytes.put(name, b);
    }
    b.clear().limit(n);
    return b;
  }
}

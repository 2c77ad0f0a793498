package io.streaminfer.models.task;

import io.streaminfer.models.card.TensorSpec;
import io.streaminfer.models.runtime.OnnxModel;
import java.nio.Buffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-thread reusable direct buffers for model inputs, grown on demand, so the hot path allocates
 * no native memory per record. Not thread-safe: {@link BatchTask} keeps one per stream thread.
 */
final class Scratch {
  private final Map<String, Buffer> buffers = new HashMap<>();

  /**
   * A buffer of {@code spec}'s element type ({@code float32}, {@code int64} or {@code uint8}) with
   * room for {@code n} values, limit set to {@code n}.
   */
  Buffer buffer(TensorSpec spec, int n) {
    Buffer b = buffers.get(spec.name());
    if (b == null || b.capacity() < n) {
      int size = Math.max(n, b == null ? 0 : 2 * b.capacity());
      b =
          switch (spec.dtype()) {
            case "int64" -> OnnxModel.longBuffer(size);
            case "uint8" -> OnnxModel.byteBuffer(size);
            default -> OnnxModel.floatBuffer(size);
          };
      buffers.put(spec.name(), b);
    }
    b.clear().limit(n);
    return b;
  }
}

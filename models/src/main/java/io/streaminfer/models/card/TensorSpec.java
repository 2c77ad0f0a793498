package io.streaminfer.models.card;

import java.util.Arrays;

/**
 * One input or output of a model as its card declares it. {@code -1} in {@link #shape()} marks a
 * dynamic axis (the batch axis is always dynamic).
 *
 * @param name the ONNX input/output name
 * @param dtype {@code float32}, {@code int64} or {@code uint8}
 * @param shape the shape, {@code -1} for dynamic axes
 */
public record TensorSpec(String name, String dtype, long[] shape) {

  /** The shape with the batch axis set to {@code batch}. */
  public long[] shapeForBatch(int batch) {
    long[] s = shape.clone();
    s[0] = batch;
    return s;
  }

  /** Number of elements of one example (the product of all axes but the batch axis). */
  public int elementsPerExample() {
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      n *= shape[i];
    }
    return Math.toIntExact(n);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t
        && t.name.equals(name)
        && t.dtype.equals(dtype)
        && Arrays.equals(t.shape, shape);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + ":" + dtype + Arrays.toString(shape);
  }
}

package io.streaminfer.models.runtime;

/**
 * The {@code inference.device} setting: {@code auto}, {@code cpu} or {@code cuda[:N]}.
 *
 * @param mode what was asked for
 * @param cudaDevice the CUDA device ordinal (0 unless {@code cuda:N})
 */
public record Device(Mode mode, int cudaDevice) {

  /** What the setting asks for. */
  public enum Mode {
    /** CUDA when it loads, otherwise CPU with one warning. */
    AUTO,
    /** CPU only. */
    CPU,
    /** CUDA or fail at start-up. */
    CUDA
  }

  /** Parses {@code auto | cpu | cuda | cuda:N}; throws naming the accepted forms. */
  public static Device parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT);
    if (v.equals("auto")) {
      return new Device(Mode.AUTO, 0);
    }
    if (v.equals("cpu")) {
      return new Device(Mode.CPU, 0);
    }
    if (v.equals("cuda")) {
      return new Device(Mode.CUDA, 0);
    }
    if (v.startsWith("cuda:")) {
      try {
        int n = Integer.parseInt(v.substring(5));
        if (n >= 0) {
          return new Device(Mode.CUDA, n);
        }
      } catch (NumberFormatException ignored) {
        // falls through to the error below
      }
    }
    throw new IllegalArgumentException(
        "invalid device '" + value + "': expected auto, cpu, cuda or cuda:N (N >= 0)");
  }

  @Override
  public String toString() {
    return mode == Mode.CUDA
        ? "cuda:" + cudaDevice
        : mode.name().toLowerCase(java.util.Locale.ROOT);
  }
}

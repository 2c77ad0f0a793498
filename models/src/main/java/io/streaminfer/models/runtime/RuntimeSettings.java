package io.streaminfer.models.runtime;

/**
 * How ONNX Runtime sessions are created.
 *
 * @param device which execution provider to use
 * @param intraOpThreads threads inside one operator (0 lets ONNX Runtime choose)
 * @param interOpThreads threads across operators (0 lets ONNX Runtime choose)
 * @param spinning whether idle ONNX Runtime threads spin (fast, but burns a core each)
 */
public record RuntimeSettings(
    Device device, int intraOpThreads, int interOpThreads, boolean spinning) {

  /** CPU, one thread each, no spinning: the right default for tests and small machines. */
  public static RuntimeSettings cpuDefaults() {
    return new RuntimeSettings(Device.parse("cpu"), 1, 1, false);
  }
}

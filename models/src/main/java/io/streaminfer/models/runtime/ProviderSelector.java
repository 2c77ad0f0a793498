package io.streaminfer.models.runtime;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.streaminfer.models.ModelLoadException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the execution provider for a session from {@link Device}: {@code cpu} adds nothing;
 * {@code cuda} adds CUDA and fails fast when it cannot load; {@code auto} tries CUDA and falls back
 * to CPU with a single WARN for the whole process.
 */
public final class ProviderSelector {
  private static final Logger LOG = LoggerFactory.getLogger(ProviderSelector.class);
  private static volatile boolean warned;

  /** Adds a CUDA provider to session options; a seam so the selection logic is testable. */
  @FunctionalInterface
  public interface CudaAdder {
    /** Adds CUDA device {@code device}; throws when CUDA cannot load. */
    void add(OrtSession.SessionOptions options, int device) throws OrtException;
  }

  private final CudaAdder cuda;

  /** Uses ONNX Runtime's own {@code addCUDA}. */
  public ProviderSelector() {
    this((options, device) -> options.addCUDA(device));
  }

  /** Uses the given way of adding CUDA. */
  public ProviderSelector(CudaAdder cuda) {
    this.cuda = cuda;
  }

  /**
   * Configures {@code options} for {@code device} and returns the provider actually used: {@code
   * "CPU"} or {@code "CUDA:N"}.
   */
  public String configure(OrtSession.SessionOptions options, Device device, String model) {
    switch (device.mode()) {
      case CPU:
        return "CPU";
      case CUDA:
        try {
          cuda.add(options, device.cudaDevice());
          return "CUDA:" + device.cudaDevice();
        } catch (OrtException | RuntimeException e) {
          throw new ModelLoadException(
              model
                  + ": inference.device="
                  + device
                  + " but CUDA could not be loaded ("
                  + e.getMessage()
                  + "); build with -Pgpu on a machine with CUDA 12, or set "
                  + "inference.device=auto or cpu",
              e);
        }
      default:
        try {
          cuda.add(options, device.cudaDevice());
          return "CUDA:" + device.cudaDevice();
        } catch (OrtException | RuntimeException e) {
          if (!warned) {
            warned = true;
            // auto asks for exactly this fallback: information, not a warning (cuda fails fast)
            LOG.info(
                "inference.device=auto: CUDA unavailable ({}); using the CPU provider",
                e.getMessage());
          }
          return "CPU";
        }
    }
  }
}

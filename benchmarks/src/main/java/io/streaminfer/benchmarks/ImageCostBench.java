package io.streaminfer.benchmarks;

import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.preprocess.ImageDecoder;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.preprocess.ImagePreprocessor;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The worst-case decoding cost of one image event. The costliest image accepted: 4096 x 4096 RGBA
 * at 8 bits (64 MiB decoded, the budget; a PNG of zeros, 65 KB on the wire), turned into each
 * bundled image model's input the way the pipeline does (header first, then a decode subsampled
 * toward the input size), against decoding it in full as before; and the same at 16 bits (128 MiB),
 * refused from its header. Milliseconds of wall time and MB allocated per image, medians of {@code
 * repeats} after two warm-up runs, one thread:
 *
 * <pre>
 * java -cp pipeline/target/streaminfer.jar:benchmarks/target/classes \
 *     io.streaminfer.benchmarks.ImageCostBench [repeats]
 * </pre>
 */
public final class ImageCostBench {
  private ImageCostBench() {}

  public static void main(String[] args) throws Exception {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    byte[] png = IsolationBench.costlyPng(4096, 4096, 8);
    ImageInput in = ImageInput.encoded(ImageInput.Encoding.PNG, png);
    byte[] png16 = IsolationBench.costlyPng(4096, 4096, 16);
    ImageInput in16 = ImageInput.encoded(ImageInput.Encoding.PNG, png16);
    System.out.printf(
        "images: 4096 x 4096 RGBA PNG, 8 bits %,d bytes, 16 bits %,d bytes%n",
        png.length, png16.length);
    ModelRepository repo = ModelRepository.open(Path.of("models/repository"));
    double[] black = new double[3];
    for (String name : List.of("digits-cnn", "digits-mobilenet")) {
      ModelArtifact a = repo.select(name, Optional.empty());
      ImagePreprocessor pre = new ImagePreprocessor(a.card());
      FloatBuffer dst = FloatBuffer.allocate(pre.elements());
      Runnable subsampled =
          () -> {
            dst.clear();
            pre.write(in, dst);
          };
      Runnable full = () -> ImageDecoder.decode(in, black, false, name);
      Runnable refused =
          () -> {
            try {
              dst.clear();
              pre.write(in16, dst);
              throw new IllegalStateException("the 16-bit image was accepted");
            } catch (io.streaminfer.models.InferenceException expected) {
              // refused from its header
            }
          };
      System.out.printf(
          "%-17s 8 bits: decode + pre-process, subsampled: %s; decode alone, in full: %s;"
              + " 16 bits, refused: %s%n",
          name, measure(subsampled, repeats), measure(full, repeats), measure(refused, repeats));
    }
  }

  /** "X ms, Y MB allocated": medians over {@code repeats} runs after two warm-ups. */
  private static String measure(Runnable r, int repeats) {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    r.run();
    r.run();
    double[] ms = new double[repeats];
    double[] mb = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long bytes = threads.getThreadAllocatedBytes(id);
      long t = System.nanoTime();
      r.run();
      ms[i] = (System.nanoTime() - t) / 1e6;
      mb[i] = (threads.getThreadAllocatedBytes(id) - bytes) / 1e6;
    }
    java.util.Arrays.sort(ms);
    java.util.Arrays.sort(mb);
    return String.format("%.1f ms, %.0f MB allocated", ms[repeats / 2], mb[repeats / 2]);
  }
}

package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.ImageGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Imports image generators (GAN generators and the like): a {@code float32} noise input ({@code
 * [batch, z]} or {@code [batch, z, 1, 1]}), optionally an {@code int64 [batch]} class input, and a
 * rank-4 image output of 1 or 3 channels. The output range is read from the graph's last operator
 * ({@code Tanh}: [-1, 1], {@code Sigmoid}: [0, 1]) and checked by the smoke run. No presets.
 */
final class ImageGenerationImport implements ImportFamily {
  private static final JsonNodeFactory J = JsonNodeFactory.instance;

  @Override
  public Task task() {
    return Task.IMAGE_GENERATION;
  }

  @Override
  public boolean recognises(OnnxGraph g) {
    return g.inputs().stream().anyMatch(ImageGenerationImport::isNoise)
        && g.outputs().stream().anyMatch(ImageAxes::isImage);
  }

  /** {@code float32 [batch, z]} or {@code [batch, z, 1, 1]}. */
  private static boolean isNoise(OnnxGraph.Value v) {
    long[] d = v.dims();
    return v.dtype().equals("float32")
        && (d.length == 2 || d.length == 4 && d[2] == 1 && d[3] == 1);
  }

  @Override
  public Set<String> presets() {
    return Set.of();
  }

  @Override
  public void draft(OnnxGraph g, ImportRequest r, CardDraft d) {
    d.fill("preprocessing.type", J.textNode("latent-noise"));
    d.fill("postprocessing.type", J.textNode("image"));
    OnnxGraph.Value noise = null;
    OnnxGraph.Value label = null;
    for (OnnxGraph.Value v : g.inputs()) {
      if (v.dtype().equals("float32") && noise == null) {
        noise = v;
      } else if (v.dtype().equals("int64") && v.dims().length == 1 && label == null) {
        label = v;
      } else {
        throw new ImportRefusedException(
            "input '"
                + v.name()
                + "' ("
                + v.describe()
                + ") cannot be fed: a generator takes one float32 noise input and, when"
                + " conditional, one int64 [batch] class input");
      }
    }
    if (noise == null) {
      throw new ImportRefusedException(
          "the graph has no float32 noise input (inputs: "
              + g.inputs().stream().map(OnnxGraph.Value::describe).toList()
              + ")");
    }
    d.infer("preprocessing.noise_input", J.textNode(noise.name()), "the float32 input");
    long latent = 1;
    for (int i = 1; i < noise.dims().length; i++) {
      latent = noise.dims()[i] < 0 ? -1 : latent * noise.dims()[i];
      if (latent < 0) {
        break;
      }
    }
    if (noise.dims().length < 2 || latent < 0) {
      throw new ImportRefusedException(
          "noise input '"
              + noise.name()
              + "' is "
              + noise.describe()
              + "; its axes after the batch axis must be fixed so the latent size is known");
    }
    d.infer("preprocessing.latent_dim", J.numberNode(latent), "input '" + noise.name() + "'");
    d.fill("preprocessing.generator", J.textNode("splitmix64"));
    d.assume(
        "preprocessing.distribution",
        J.textNode("box-muller-normal"),
        "standard normal noise, as torch.randn; set \"uniform\" for noise in [-1, 1)");
    if (label != null) {
      d.infer(
          "preprocessing.label_input", J.textNode(label.name()), "the int64 [batch] class input");
      List<String> labels = ModelImporter.labels(r);
      if (labels.isEmpty()) {
        d.missing(
            "labels",
            "input '"
                + label.name()
                + "' takes a class index; pass --labels a,b,... (or --labels-file) in index order");
      }
      d.labels().addAll(labels);
    } else if (!ModelImporter.labels(r).isEmpty()) {
      throw new ImportRefusedException(
          "labels were given but the graph has no int64 class input: an unconditional generator"
              + " takes none");
    }
    List<OnnxGraph.Value> images = g.outputs().stream().filter(o -> o.dims().length == 4).toList();
    OnnxGraph.Value out = d.output(g, images, "the one rank-4 output", "the image");
    if (out == null) {
      return;
    }
    if (!out.dtype().equals("float32")) {
      throw new ImportRefusedException(
          "output '" + out.name() + "' is " + out.describe() + "; generated images are float32");
    }
    ImageAxes axes = ImageAxes.fill(out, d, "postprocessing", 0);
    String op = g.producingOp().getOrDefault(out.name(), "");
    switch (op) {
      case "Tanh" ->
          d.infer(
              "postprocessing.range",
              J.arrayNode().add(-1.0).add(1.0),
              "output '" + out.name() + "' is computed by Tanh");
      case "Sigmoid" ->
          d.infer(
              "postprocessing.range",
              J.arrayNode().add(0.0).add(1.0),
              "output '" + out.name() + "' is computed by Sigmoid");
      default ->
          d.missing(
              "postprocessing.range",
              "output '"
                  + out.name()
                  + "' is computed by "
                  + (op.isEmpty() ? "no node" : op)
                  + ", which does not bound it; set [-1, 1] or [0, 1] (what the training images"
                  + " were scaled to)");
    }
    d.fill("postprocessing.format", J.textNode("PNG"));
    if (axes != null) {
      d.describe(
          (label == null ? "Unconditional" : "Conditional")
              + " image generator, z["
              + latent
              + "] to "
              + axes.channels()
              + "x"
              + axes.height()
              + "x"
              + axes.width()
              + ", imported from "
              + g.file().getFileName()
              + ".");
    }
  }

  @Override
  public String smoke(OnnxModel model) {
    ImageGenerator g = new ImageGenerator(model);
    String label = g.conditional() ? model.card().labels().get(0) : "";
    List<ImageGenerator.Sample> samples = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      samples.add(new ImageGenerator.Sample(0, label, i));
    }
    var result = g.run(samples);
    if (!result.outcomes().get(0).ok()) {
      throw result.outcomes().get(0).error();
    }
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (float v : result.output()) {
      if (!Float.isFinite(v)) {
        throw new ImportRefusedException("smoke inference: the generated image holds " + v);
      }
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    double low = model.card().postprocessing().path("range").path(0).asDouble();
    double high = model.card().postprocessing().path("range").path(1).asDouble();
    double slack = 1e-3 * (high - low);
    String values = String.format(Locale.ROOT, "values in [%.3f, %.3f]", lo, hi);
    if (lo < low - slack || hi > high + slack) {
      throw new ImportRefusedException(
          "smoke inference: 8 samples have "
              + values
              + ", outside postprocessing.range ["
              + low
              + ", "
              + high
              + "]; set the range the output really has");
    }
    return "8 samples (seed 0"
        + (label.isEmpty() ? "" : ", label " + label)
        + ") in "
        + result.inferenceMicros() / 1000
        + " ms: "
        + values
        + ", within the range ["
        + low
        + ", "
        + high
        + "]";
  }
}

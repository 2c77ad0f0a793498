package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.postprocess.ClassScores;
import io.streaminfer.models.preprocess.ImageInput;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.task.ImageClassifier;
import io.streaminfer.models.task.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Imports image classifiers (torchvision CNNs and the like): one {@code float32} or {@code uint8}
 * image input of rank 4 ({@code NCHW} or {@code NHWC}, 1 or 3 channels) and a {@code [batch,
 * classes]} output. Presets: {@code imagenet} (torchvision's recipe: RGB, {@code Resize(256)} +
 * {@code CenterCrop(224)} scaled to the input size, antialiased, ImageNet mean and std), {@code
 * unit} (pixels / 255, bilinear to the input size) and {@code symmetric} ((pixels / 255 − 0.5) /
 * 0.5).
 */
final class ImageClassificationImport implements ImportFamily {
  private static final JsonNodeFactory J = JsonNodeFactory.instance;

  @Override
  public Task task() {
    return Task.IMAGE_CLASSIFICATION;
  }

  @Override
  public boolean recognises(OnnxGraph g) {
    return g.inputs().size() == 1
        && ImageAxes.isImage(g.inputs().get(0))
        && g.outputs().stream().anyMatch(o -> o.dims().length == 2);
  }

  @Override
  public Set<String> presets() {
    return Set.of("imagenet", "unit", "symmetric");
  }

  @Override
  public void draft(OnnxGraph g, ImportRequest r, CardDraft d) {
    ModelImporter.requireInputCount(g, task(), 1);
    OnnxGraph.Value in = g.inputs().get(0);
    if (!in.dtype().equals("float32") && !in.dtype().equals("uint8")) {
      throw new ImportRefusedException(
          "input '"
              + in.name()
              + "' is "
              + in.dtype()
              + "; an image model's input must be float32 or uint8 ("
              + in.describe()
              + ")");
    }
    boolean uint8 = in.dtype().equals("uint8");
    String preset = r.preset().orElse("");
    ImageAxes axes = ImageAxes.fill(in, d, "preprocessing", preset.equals("imagenet") ? 224 : 0);
    if (axes == null) {
      return; // the missing keys are recorded
    }
    if (axes.channels() == 3) {
      d.assume(
          "preprocessing.color",
          J.textNode("rgb"),
          "set \"bgr\" for a model trained on BGR pixels (OpenCV, Caffe)");
    } else {
      d.fill("preprocessing.color", J.textNode("grey-bt601"));
    }
    switch (preset) {
      case "imagenet" -> {
        int shorter = Math.min(axes.height(), axes.width());
        String how = "preset imagenet";
        d.infer("preprocessing.resize", J.textNode("shorter-side-center-crop"), how);
        d.infer(
            "preprocessing.resize_size",
            J.numberNode((int) Math.floor(shorter * 256.0 / 224.0)),
            how + ": torchvision's Resize(256) for CenterCrop(224), scaled");
        d.infer("preprocessing.antialias", J.booleanNode(true), how);
        if (!uint8) {
          d.infer("preprocessing.scale_divisor", J.numberNode(255.0), how);
          d.infer("preprocessing.mean", triple(0.485, 0.456, 0.406), how);
          d.infer("preprocessing.std", triple(0.229, 0.224, 0.225), how);
        }
      }
      case "unit", "symmetric" -> {
        String how = "preset " + preset;
        d.infer("preprocessing.resize", J.textNode("exact"), how);
        if (!uint8) {
          double m = preset.equals("unit") ? 0.0 : 0.5;
          double s = preset.equals("unit") ? 1.0 : 0.5;
          d.infer("preprocessing.scale_divisor", J.numberNode(255.0), how);
          d.infer("preprocessing.mean", J.numberNode(m), how);
          d.infer("preprocessing.std", J.numberNode(s), how);
        }
      }
      default -> {
        d.assume(
            "preprocessing.resize",
            J.textNode("exact"),
            "bilinear to the input size; a model trained with Resize + CenterCrop wants"
                + " \"shorter-side-center-crop\" and resize_size (or --preset imagenet)");
        if (!uint8) {
          normalisation(d);
        }
      }
    }
    if (uint8) {
      for (String k : new String[] {"mean", "std", "scale_divisor"}) {
        if (d.has("preprocessing." + k)) {
          throw new ImportRefusedException(
              "preprocessing."
                  + k
                  + " is set but input '"
                  + in.name()
                  + "' is uint8: the graph normalises by itself; leave the key out");
        }
      }
    }
    d.assume(
        "preprocessing.background",
        J.numberNode(0),
        "transparent pixels are composited on black; set 255 (or [r, g, b]) for white");
    classScores(g, r, d, List.of(), "");
    d.describe(
        "Image classifier "
            + axes.channels()
            + "x"
            + axes.height()
            + "x"
            + axes.width()
            + " imported from "
            + g.file().getFileName()
            + (g.producer().isEmpty() ? "" : " (" + g.producer() + ")")
            + ".");
  }

  private static void normalisation(CardDraft d) {
    boolean any =
        d.has("preprocessing.scale_divisor")
            || d.has("preprocessing.mean")
            || d.has("preprocessing.std");
    if (!any) {
      d.missing(
          "preprocessing.mean",
          "the graph does not say how its input was normalised: pass --preset imagenet"
              + " (ImageNet mean/std), --preset unit (pixels / 255) or --preset symmetric"
              + " ((pixels / 255 - 0.5) / 0.5), or set preprocessing.scale_divisor, mean and std");
      return;
    }
    d.assume("preprocessing.scale_divisor", J.numberNode(255.0), "pixels / 255 before mean/std");
    d.assume("preprocessing.mean", J.numberNode(0.0), "no mean subtracted");
    d.assume("preprocessing.std", J.numberNode(1.0), "no division by a std");
  }

  /**
   * Chooses the class-score output read, its postprocessing and the labels (the request's, else
   * {@code fallback} from {@code fallbackSource}, else the class indices): shared by every
   * classification family.
   */
  static void classScores(
      OnnxGraph g, ImportRequest r, CardDraft d, List<String> fallback, String fallbackSource) {
    OnnxGraph.Value out;
    if (d.has("postprocessing.output")) {
      String name = d.get("postprocessing.output").asText();
      out = g.output(name);
      if (out == null) {
        throw new ImportRefusedException(
            "postprocessing.output is '" + name + "' but the graph's outputs are " + names(g));
      }
    } else {
      List<OnnxGraph.Value> scores =
          g.outputs().stream()
              .filter(o -> o.dims().length == 2 && o.dtype().equals("float32"))
              .toList();
      if (scores.size() != 1) {
        d.missing(
            "postprocessing.output",
            "the graph has "
                + (scores.isEmpty() ? "no float32 [batch, classes] output" : "several")
                + " among "
                + g.outputs().stream().map(OnnxGraph.Value::describe).toList()
                + "; name the class scores");
        return;
      }
      out = scores.get(0);
      d.infer("postprocessing.output", J.textNode(out.name()), "the one [batch, classes] output");
    }
    if (out.dims().length != 2 || !out.dtype().equals("float32")) {
      throw new ImportRefusedException(
          "output '"
              + out.name()
              + "' is "
              + out.describe()
              + "; class scores must be float32 [batch, classes]");
    }
    String op = g.producingOp().getOrDefault(out.name(), "");
    if (!d.has("postprocessing.type")) {
      switch (op) {
        case "Softmax" ->
            d.infer(
                "postprocessing.type",
                J.textNode("probabilities-top-k"),
                "output '" + out.name() + "' is computed by Softmax");
        case "Sigmoid" ->
            d.missing(
                "postprocessing.type",
                "output '"
                    + out.name()
                    + "' is computed by Sigmoid (independent probabilities); StreamInfer's"
                    + " sigmoid-multi-label reads logits: export without the last Sigmoid, or set"
                    + " probabilities-top-k for one label per input");
        default ->
            d.assume(
                "postprocessing.type",
                J.textNode("softmax-top-k"),
                "output '"
                    + out.name()
                    + "' (from "
                    + (op.isEmpty() ? "a graph input" : op)
                    + ") read as logits of one label per input; set sigmoid-multi-label for"
                    + " independent labels, probabilities-top-k if it is already softmaxed");
      }
    }
    if (d.get("postprocessing.type").asText().equals("sigmoid-multi-label")) {
      d.assume("postprocessing.threshold", J.numberNode(0.5), "a label is reported from p >= 0.5");
    }
    long classes = out.dims()[1];
    List<String> labels = ModelImporter.labels(r);
    if (labels.isEmpty() && !fallback.isEmpty()) {
      if (classes < 0 || fallback.size() == classes) {
        labels = new ArrayList<>(fallback);
        d.note("labels = " + fallback + " (" + fallbackSource + ")");
      } else {
        d.note(
            "the "
                + fallback.size()
                + " labels of "
                + fallbackSource
                + " left out: output '"
                + out.name()
                + "' scores "
                + classes
                + " classes");
      }
    }
    if (classes < 0 && labels.isEmpty()) {
      d.missing(
          "labels",
          "output '"
              + out.name()
              + "' has a dynamic class axis; pass --labels or --labels-file so the count is known");
      return;
    }
    if (!labels.isEmpty() && classes >= 0 && labels.size() != classes) {
      throw new ImportRefusedException(
          "output '"
              + out.name()
              + "' scores "
              + classes
              + " classes but "
              + labels.size()
              + " labels were given");
    }
    if (labels.isEmpty()) {
      for (int i = 0; i < classes; i++) {
        labels.add(Integer.toString(i));
      }
      d.note(
          "labels = the class indices 0.."
              + (classes - 1)
              + ": no labels given; pass --labels a,b,... or --labels-file");
    }
    d.labels().addAll(labels);
    d.fill("postprocessing.top_k", J.numberNode((int) Math.min(5, labels.size())));
  }

  private static JsonNode triple(double a, double b, double c) {
    return J.arrayNode().add(a).add(b).add(c);
  }

  private static String names(OnnxGraph g) {
    return g.outputs().stream().map(OnnxGraph.Value::name).collect(Collectors.toList()).toString();
  }

  @Override
  public String smoke(OnnxModel model) {
    ImageClassifier classifier = new ImageClassifier(model);
    int h = (int) model.card().pre("height");
    int w = (int) model.card().pre("width");
    byte[] px = new byte[h * w * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = (y * w + x) * 3;
        px[i] = (byte) (255 * x / Math.max(1, w - 1));
        px[i + 1] = (byte) (255 * y / Math.max(1, h - 1));
        px[i + 2] = (byte) 128;
      }
    }
    ImageInput image = new ImageInput(ImageInput.Encoding.RAW_UINT8, px, w, h, 3);
    var result = classifier.run(List.of(image, image));
    Outcome<ClassScores.Classified> o = result.outcomes().get(0);
    if (!o.ok()) {
      throw o.error();
    }
    for (float v : result.output()) {
      if (!Float.isFinite(v)) {
        throw new ImportRefusedException("smoke inference: the output holds " + v);
      }
    }
    return "a "
        + w
        + "x"
        + h
        + " gradient image, batch of 2, in "
        + result.inferenceMicros() / 1000
        + " ms: "
        + o.value().summary();
  }
}

package io.streaminfer.benchmarks;

import ai.onnxruntime.OnnxTensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.TensorSpec;
import io.streaminfer.models.runtime.Device;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * B0: bare ONNX Runtime. Inputs are the model's reference tensors repeated to the batch size, in
 * direct native-order buffers wrapped once; the timed loop is {@code session.run} alone (plus the
 * copy of the output). Warm-up, then {@code repeats} timed windows; the reported figures are the
 * medians over windows.
 */
final class BareOrtBench {
  record Result(
      String model, int batch, int threads, double inferencesPerS, double p50Us, double p99Us) {}

  private BareOrtBench() {}

  static Result run(ModelArtifact artifact, int batch, int threads, long windowMs, int repeats)
      throws IOException {
    if ("hf-tokenizer".equals(artifact.card().preprocessing().path("type").asText())) {
      return runTexts(artifact, batch, threads, windowMs, repeats, Padding.LONGEST);
    }
    RuntimeSettings settings = new RuntimeSettings(Device.parse("cpu"), threads, 1, false);
    try (OnnxModel model = OnnxModel.load(artifact, settings, new ProviderSelector())) {
      JsonNode example =
          new ObjectMapper()
              .readTree(Files.readString(artifact.referenceFile()))
              .path("examples")
              .get(0);
      Map<String, OnnxTensor> inputs = new HashMap<>();
      try {
        for (TensorSpec spec : model.card().inputs()) {
          JsonNode data = null;
          for (JsonNode t : example.path("tensors")) {
            if (t.path("name").asText().equals(spec.name())) {
              data = t.path("data");
            }
          }
          int per = spec.elementsPerExample();
          if (data == null || data.isMissingNode()) { // an image model's reference keeps images
            data = preprocessed(model, example);
          }
          if (spec.dtype().equals("int64")) {
            LongBuffer b = OnnxModel.longBuffer(batch * per);
            for (int i = 0; i < batch * per; i++) {
              b.put(data.get(i % per).asLong());
            }
            inputs.put(spec.name(), model.tensor(b, spec.shapeForBatch(batch)));
          } else {
            FloatBuffer b = OnnxModel.floatBuffer(batch * per);
            for (int i = 0; i < batch * per; i++) {
              b.put((float) data.get(i % per).asDouble());
            }
            inputs.put(spec.name(), model.tensor(b, spec.shapeForBatch(batch)));
          }
        }
        return measure(model, List.of(inputs), batch, batch, threads, windowMs, repeats);
      } finally {
        inputs.values().forEach(OnnxTensor::close);
      }
    }
  }

  /** How B0 pads a batch of texts. */
  enum Padding {
    /** To the batch's longest text. */
    LONGEST,
    /** To the card's max_length. */
    MAX_LENGTH,
    /** In groups of similar length, each to its longest, as the pipeline runs a batch. */
    GROUPED
  }

  /**
   * B0 of a Transformer on the benchmark's own sentences (the bundled samples, in the order the
   * workload sends them): tokenised once by the card's tokenizer, cut into batches of {@code batch}
   * consecutive texts, padded as {@code padding} says; the timed loop runs the batches (or their
   * length groups) in turn. The rate is texts per second.
   */
  static Result runTexts(
      ModelArtifact artifact, int batch, int threads, long windowMs, int repeats, Padding padding) {
    RuntimeSettings settings = new RuntimeSettings(Device.parse("cpu"), threads, 1, false);
    List<String> texts =
        io.streaminfer.testkit.SampleData.load().texts().stream()
            .map(io.streaminfer.testkit.SampleData.Sentence::text)
            .toList();
    List<Map<String, OnnxTensor>> batches = new ArrayList<>();
    try (OnnxModel model = OnnxModel.load(artifact, settings, new ProviderSelector());
        var tokenized = new io.streaminfer.models.preprocess.TokenizedText(artifact)) {
      try {
        List<Object[]> runs = new ArrayList<>(); // the tokenised texts of each model run
        for (int from = 0; from + batch <= texts.size(); from += batch) {
          Object[] tokens = new Object[batch];
          int[] lengths = new int[batch];
          for (int i = 0; i < batch; i++) {
            tokens[i] = tokenized.tokenize(texts.get(from + i));
            lengths[i] = tokenized.groupLength(tokens[i]);
          }
          List<int[]> groups =
              padding == Padding.GROUPED
                  ? io.streaminfer.models.task.BatchTask.lengthGroups(lengths)
                  : List.of();
          if (groups.isEmpty()) {
            runs.add(tokens);
          }
          for (int[] g : groups) {
            runs.add(java.util.Arrays.stream(g).mapToObj(i -> tokens[i]).toArray());
          }
        }
        if (runs.isEmpty()) {
          throw new IllegalStateException("fewer than " + batch + " sample texts");
        }
        int texted = 0;
        for (Object[] tokens : runs) {
          texted += tokens.length;
          batches.add(inputs(model, tokenized, tokens, padding, artifact));
        }
        // texts per call on average: a batch, or a length group of one
        return measure(
            model, batches, (double) texted / batches.size(), batch, threads, windowMs, repeats);
      } finally {
        batches.forEach(b -> b.values().forEach(OnnxTensor::close));
      }
    }
  }

  /** The input tensors of one run of {@code tokens}, each row padded as {@code padding} says. */
  private static Map<String, OnnxTensor> inputs(
      OnnxModel model,
      io.streaminfer.models.preprocess.TokenizedText tokenized,
      Object[] tokens,
      Padding padding,
      ModelArtifact artifact) {
    int rows = tokens.length;
    long length =
        padding == Padding.MAX_LENGTH
            ? (long) artifact.card().pre("max_length")
            : tokenized.length(tokens);
    Map<String, java.nio.Buffer> buffers = new HashMap<>();
    for (TensorSpec spec : model.card().inputs()) {
      buffers.put(spec.name(), OnnxModel.longBuffer(Math.toIntExact(rows * length)));
    }
    for (int i = 0; i < rows; i++) {
      Map<String, java.nio.Buffer> row = new HashMap<>();
      for (var e : buffers.entrySet()) {
        row.put(
            e.getKey(),
            e.getValue().duplicate().limit((int) ((i + 1) * length)).position((int) (i * length)));
      }
      tokenized.write((io.streaminfer.models.preprocess.HfTokenizer.Tokens) tokens[i], row);
    }
    Map<String, OnnxTensor> inputs = new HashMap<>();
    for (var e : buffers.entrySet()) {
      inputs.put(e.getKey(), model.tensor((LongBuffer) e.getValue(), new long[] {rows, length}));
    }
    return inputs;
  }

  /** The input tensor of a reference example kept as an image, made by the card's preprocessing. */
  private static JsonNode preprocessed(OnnxModel model, JsonNode example) {
    var pre = new io.streaminfer.models.preprocess.ImagePreprocessor(model.card());
    FloatBuffer t = FloatBuffer.allocate(pre.elements());
    JsonNode in = example.path("input");
    pre.write(
        new io.streaminfer.models.preprocess.ImageInput(
            io.streaminfer.models.preprocess.ImageInput.Encoding.valueOf(
                in.path("encoding").asText()),
            java.util.Base64.getDecoder().decode(in.path("data_base64").asText()),
            in.path("width").asInt(),
            in.path("height").asInt(),
            in.path("channels").asInt()),
        t);
    var arr = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
    for (int i = 0; i < t.capacity(); i++) {
      arr.add(t.get(i));
    }
    return arr;
  }

  /** A warm-up, then {@code repeats} timed windows of {@code batches} in turn; their medians. */
  private static Result measure(
      OnnxModel model,
      List<Map<String, OnnxTensor>> batches,
      double perCall,
      int batch,
      int threads,
      long windowMs,
      int repeats) {
    timed(model, batches, Math.max(200, windowMs / 2)); // warm-up
    List<Double> rates = new ArrayList<>();
    List<Double> p50 = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      double[] callsUs = timed(model, batches, windowMs);
      double seconds = java.util.Arrays.stream(callsUs).sum() / 1e6;
      rates.add(callsUs.length * perCall / seconds);
      p50.add(Stats.quantile(callsUs, 0.5));
      p99.add(Stats.quantile(callsUs, 0.99));
    }
    return new Result(
        model.card().name(),
        batch,
        threads,
        Stats.median(rates),
        Stats.median(p50),
        Stats.median(p99));
  }

  /** Runs {@code batches} in turn for {@code windowMs}; each call's microseconds. */
  private static double[] timed(
      OnnxModel model, List<Map<String, OnnxTensor>> batches, long windowMs) {
    List<Double> us = new ArrayList<>();
    long end = System.nanoTime() + windowMs * 1_000_000;
    for (int i = 0; System.nanoTime() < end; i++) {
      Map<String, OnnxTensor> inputs = batches.get(i % batches.size());
      long t = System.nanoTime();
      model.run(inputs);
      us.add((System.nanoTime() - t) / 1e3);
    }
    return us.stream().mapToDouble(Double::doubleValue).toArray();
  }
}

package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelArtifact;
import io.streaminfer.models.card.ModelRepository;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.runtime.OnnxModel;
import io.streaminfer.models.runtime.ProviderSelector;
import io.streaminfer.models.runtime.RuntimeSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code streaminfer model import}: reads an ONNX graph (names, element types, dynamic axes, opset,
 * the operators that compute its outputs), fills a card with what the graph says, the family's
 * preset and the user's overrides, refuses with the key to set when something cannot be told and
 * with the tensor's name when the graph cannot be served, checks the card against {@code
 * model-card.schema.json}, writes it with the file's sha256 into {@code
 * <repository>/<name>/<version>/}, and loads and runs the model once as the pipeline would. Nothing
 * is left behind when any step fails. Stateless.
 */
public final class ModelImporter {
  /** The families {@code model import} knows, one per task. */
  public static final List<ImportFamily> FAMILIES =
      List.of(
          new ImageClassificationImport(),
          new ImageGenerationImport(),
          new TextClassificationImport(),
          new TextEmbeddingImport(),
          new TimeSeriesForecastImport());

  private static final Set<String> DTYPES = Set.of("float32", "int64", "uint8");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final JsonNodeFactory J = JsonNodeFactory.instance;

  private ModelImporter() {}

  /**
   * What an import did.
   *
   * @param directory the version directory written
   * @param card the card written
   * @param graph what was read from the ONNX file
   * @param inferred keys read from the graph or preset, one line each
   * @param assumed defaults the user should check, one line each with when they would be wrong
   * @param smoke what the smoke inference produced, or empty when it was not run
   */
  public record Report(
      Path directory,
      ObjectNode card,
      OnnxGraph graph,
      List<String> inferred,
      List<String> assumed,
      String smoke) {
    /** The report as the command prints it. */
    public List<String> lines() {
      List<String> out = new ArrayList<>();
      out.add(
          "read "
              + graph.file()
              + ": opset "
              + graph.opset()
              + ", ir "
              + graph.irVersion()
              + (graph.producer().isEmpty() ? "" : ", from " + graph.producer()));
      graph.inputs().forEach(v -> out.add("  input  " + v.describe()));
      graph.outputs().forEach(v -> out.add("  output " + v.describe()));
      out.add("task " + card.path("task").asText());
      card.path("import")
          .path("overrides")
          .fields()
          .forEachRemaining(e -> out.add("set      " + e.getKey() + " = " + e.getValue()));
      inferred.forEach(l -> out.add("inferred " + l));
      assumed.forEach(l -> out.add("assumed  " + l));
      if (!smoke.isEmpty()) {
        out.add("smoke    " + smoke);
      }
      out.add(
          "wrote "
              + directory.resolve("model.json")
              + " (sha256 "
              + card.path("sha256").asText()
              + ")");
      return out;
    }
  }

  /** Imports one model; throws {@link ImportRefusedException} saying why it cannot. */
  public static Report run(ImportRequest r) {
    if (!r.name().matches("[a-z0-9][a-z0-9-]*")) {
      throw new ImportRefusedException(
          "model name '" + r.name() + "' must be lower-case letters, digits and '-'");
    }
    OnnxGraph g = OnnxGraph.read(r.onnx());
    if (g.externalData()) {
      throw new ImportRefusedException(
          r.onnx()
              + " keeps weights in external data files; save it as one file"
              + " (onnx.save(model, path, save_as_external_data=False)) to import it");
    }
    checkTensors(g);
    ImportFamily family = family(g, r);
    if (r.preset().isPresent() && !family.presets().contains(r.preset().get())) {
      throw new ImportRefusedException(
          "preset '"
              + r.preset().get()
              + "' is not one of "
              + family.task().id()
              + "'s: "
              + (family.presets().isEmpty()
                  ? "it has none"
                  : family.presets().stream().sorted().toList()));
    }
    CardDraft d = new CardDraft();
    for (Map.Entry<String, JsonNode> e : r.overrides().entrySet()) {
      if (!ImportRequest.settable(e.getKey())) {
        throw new ImportRefusedException(
            "cannot set '"
                + e.getKey()
                + "': --set takes preprocessing.<key>, postprocessing.<key> or description");
      }
      d.override(e.getKey(), e.getValue());
    }
    if (family.task() == Task.IMAGE_CLASSIFICATION) {
      d.fill("preprocessing.type", J.textNode("image"));
    }
    family.draft(g, r, d);
    if (!d.missingKeys().isEmpty()) {
      StringBuilder b =
          new StringBuilder("cannot write a card for ")
              .append(r.onnx())
              .append(" without these keys (--set KEY=VALUE):");
      d.missingKeys().forEach((k, how) -> b.append("\n  ").append(k).append(": ").append(how));
      throw new ImportRefusedException(b.toString());
    }
    String version = r.version().orElseGet(() -> nextVersion(r.repository().resolve(r.name())));
    Path dir = r.repository().resolve(r.name()).resolve(version);
    if (Files.exists(dir)) {
      throw new ImportRefusedException(
          dir + " already exists: versions are never overwritten; pass another --version");
    }
    String sha = ModelRepository.sha256(r.onnx());
    ObjectNode card = card(r, g, family, d, version, sha);
    CardSchema.check(card, dir.resolve("model.json"));
    try {
      Files.createDirectories(dir);
      Files.copy(r.onnx(), dir.resolve("model.onnx"));
      if (r.labelsFile().isPresent()) {
        Files.copy(r.labelsFile().get(), dir.resolve("labels.txt"));
      }
      for (Map.Entry<String, Path> f : family.files(r).entrySet()) {
        Files.copy(f.getValue(), dir.resolve(f.getKey()));
      }
      write(card, dir);
      String smoke = "";
      ModelArtifact artifact = ModelRepository.verify(dir);
      if (r.smoke()) {
        try (OnnxModel model =
            OnnxModel.load(artifact, RuntimeSettings.cpuDefaults(), new ProviderSelector())) {
          smoke = family.smoke(model);
        }
        card.with("import").put("smoke", smoke);
        write(card, dir);
      }
      return new Report(dir, card, g, d.inferred(), d.assumed(), smoke);
    } catch (IOException | RuntimeException e) {
      delete(dir);
      String why = e instanceof IOException ? e.toString() : e.getMessage();
      if (e instanceof ImportRefusedException) {
        throw new ImportRefusedException(why + " (nothing was written)", e);
      }
      throw new ImportRefusedException(
          "the card for " + r.onnx() + " does not serve: " + why + " (nothing was written)", e);
    }
  }

  /**
   * Every input and output must be a tensor StreamInfer can hold, with a batch axis first (a
   * recurrent state's may lie elsewhere).
   */
  private static void checkTensors(OnnxGraph g) {
    List<OnnxGraph.Value> all = new ArrayList<>(g.inputs());
    all.addAll(g.outputs());
    for (OnnxGraph.Value v : all) {
      String kind = g.inputs().contains(v) ? "input" : "output";
      if (!v.kind().equals("tensor")) {
        throw new ImportRefusedException(
            kind
                + " '"
                + v.name()
                + "' is a "
                + v.kind()
                + "; StreamInfer feeds and reads tensors");
      }
      if (!DTYPES.contains(v.dtype())) {
        throw new ImportRefusedException(
            kind
                + " '"
                + v.name()
                + "' is "
                + v.dtype()
                + " ("
                + v.describe()
                + "); StreamInfer feeds and reads float32, int64 and uint8 tensors: cast it in"
                + " the graph or re-export");
      }
      boolean state = TimeSeriesForecastImport.isState(g, v); // batched on its own axis
      if (!state && (v.dims().length == 0 || v.dims()[0] >= 0)) {
        throw new ImportRefusedException(
            kind
                + " '"
                + v.name()
                + "' has no batch axis ("
                + v.describe()
                + "): StreamInfer batches events along a dynamic first axis; re-export with"
                + " dynamic_axes={'"
                + v.name()
                + "': {0: 'batch'}}");
      }
    }
  }

  private static ImportFamily family(OnnxGraph g, ImportRequest r) {
    if (r.task().isPresent()) {
      return FAMILIES.stream()
          .filter(f -> f.task() == r.task().get())
          .findFirst()
          .orElseThrow(
              () ->
                  new ImportRefusedException(
                      "model import does not know task "
                          + r.task().get().id()
                          + " yet (knows "
                          + FAMILIES.stream().map(f -> f.task().id()).toList()
                          + ")"));
    }
    List<ImportFamily> matching = FAMILIES.stream().filter(f -> f.recognises(g)).toList();
    if (matching.size() != 1) {
      throw new ImportRefusedException(
          "cannot tell the task of "
              + r.onnx()
              + " from its graph (inputs "
              + g.inputs().stream().map(OnnxGraph.Value::describe).toList()
              + ", outputs "
              + g.outputs().stream().map(OnnxGraph.Value::describe).toList()
              + "): pass --task "
              + String.join("|", FAMILIES.stream().map(f -> f.task().id()).toList()));
    }
    return matching.get(0);
  }

  /** Refuses a graph with other than {@code n} inputs for {@code task}, naming the inputs. */
  static void requireInputCount(OnnxGraph g, Task task, int n) {
    if (g.inputs().size() != n) {
      throw new ImportRefusedException(
          "a "
              + task.id()
              + " model takes "
              + n
              + " input"
              + (n == 1 ? "" : "s")
              + "; this graph takes "
              + g.inputs().stream().map(OnnxGraph.Value::describe).toList()
              + " (inputs beyond "
              + n
              + " cannot be fed)");
    }
  }

  /** The labels the user gave, from {@code --labels} or the lines of {@code --labels-file}. */
  static List<String> labels(ImportRequest r) {
    List<String> out = new ArrayList<>(r.labels());
    if (r.labelsFile().isPresent()) {
      if (!out.isEmpty()) {
        throw new ImportRefusedException("give --labels or --labels-file, not both");
      }
      try {
        for (String line : Files.readAllLines(r.labelsFile().get(), StandardCharsets.UTF_8)) {
          out.add(line.strip());
        }
      } catch (IOException e) {
        throw new ImportRefusedException(
            "cannot read labels file " + r.labelsFile().get() + ": " + e);
      }
      while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
        out.remove(out.size() - 1);
      }
    }
    if (out.contains("") || new java.util.HashSet<>(out).size() != out.size()) {
      throw new ImportRefusedException("labels must be unique and non-empty: " + out);
    }
    return out;
  }

  private static ObjectNode card(
      ImportRequest r, OnnxGraph g, ImportFamily family, CardDraft d, String version, String sha)
      throws ModelLoadException {
    ObjectNode c = J.objectNode();
    c.put("card_version", 1);
    c.put("name", r.name());
    c.put("version", version);
    c.put("task", family.task().id());
    c.put(
        "description",
        d.description() == null ? "Imported from " + g.file().getFileName() : d.description());
    c.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    c.put("file", "model.onnx");
    c.put("sha256", sha);
    try {
      c.put("size_bytes", Files.size(r.onnx()));
    } catch (IOException e) {
      throw new ImportRefusedException("cannot read " + r.onnx() + ": " + e);
    }
    c.put("opset", g.opset());
    c.put("origin", "import");
    c.set("inputs", specs(g.inputs()));
    c.set("outputs", specs(g.outputs()));
    if (r.labelsFile().isPresent()) {
      c.put("labels_file", "labels.txt");
    } else if (!d.labels().isEmpty()) {
      ArrayNode labels = c.putArray("labels");
      d.labels().forEach(labels::add);
    }
    c.set("preprocessing", d.preprocessing());
    c.set("postprocessing", d.postprocessing());
    ObjectNode imp = c.putObject("import");
    imp.put("source", r.onnx().toAbsolutePath().normalize().toString());
    imp.put("producer", g.producer());
    imp.put("ir_version", g.irVersion());
    imp.put("tool", "streaminfer model import");
    imp.put("preset", r.preset().orElse(""));
    ObjectNode set = imp.putObject("overrides");
    r.overrides().forEach(set::set);
    ArrayNode inferred = imp.putArray("inferred");
    d.inferred().forEach(inferred::add);
    ArrayNode assumed = imp.putArray("assumed");
    d.assumed().forEach(assumed::add);
    return c;
  }

  private static ArrayNode specs(List<OnnxGraph.Value> values) {
    ArrayNode a = J.arrayNode();
    for (OnnxGraph.Value v : values) {
      ObjectNode s = a.addObject();
      s.put("name", v.name());
      s.put("dtype", v.dtype());
      ArrayNode shape = s.putArray("shape");
      for (long dim : v.dims()) {
        shape.add(dim);
      }
    }
    return a;
  }

  private static String nextVersion(Path modelDir) {
    if (!Files.isDirectory(modelDir)) {
      return "1";
    }
    try (Stream<Path> vs = Files.list(modelDir)) {
      long newest =
          vs.map(p -> p.getFileName().toString())
              .filter(n -> n.matches("[0-9]+"))
              .mapToLong(Long::parseLong)
              .max()
              .orElse(0);
      return Long.toString(newest + 1);
    } catch (IOException e) {
      throw new ImportRefusedException("cannot list " + modelDir + ": " + e);
    }
  }

  private static void write(ObjectNode card, Path dir) throws IOException {
    Files.writeString(
        dir.resolve("model.json"), JSON.writeValueAsString(card) + "\n", StandardCharsets.UTF_8);
  }

  private static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort: the refusal that got us here says more than a failed clean-up
    }
  }
}

package io.streaminfer.pipeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.importer.ImportRefusedException;
import io.streaminfer.models.importer.ImportRequest;
import io.streaminfer.models.importer.ModelImporter;
import io.streaminfer.pipeline.config.StreamInferConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code streaminfer model ...}: bring models into the repository ({@code import}) and change what
 * the routes serve while they run ({@link ModelControlCommands}).
 */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description = "Bring models into the repository; deploy, roll out and roll back while serving.",
    subcommands = {
      ModelCommand.Import.class,
      ModelControlCommands.Deploy.class,
      ModelControlCommands.Promote.class,
      ModelControlCommands.Canary.class,
      ModelControlCommands.Shadow.class,
      ModelControlCommands.Rollback.class,
      ModelControlCommands.Undeploy.class,
      ModelControlCommands.Status.class
    })
final class ModelCommand implements Runnable {

  @Override
  public void run() {
    picocli.CommandLine.usage(this, System.out);
  }

  /** {@code streaminfer model import model.onnx --name N ...}. */
  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = {
        "Write a checked card for an ONNX file into <repository>/<name>/<version>/ and run it once.",
        "Reads the graph (names, dtypes, dynamic axes, opset), fills what it can, says what it"
            + " assumed and refuses, naming the key to set, what it cannot tell."
      })
  static final class Import implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The ONNX file (copied).")
    Path onnx;

    @Option(names = "--name", required = true, description = "Model name ([a-z0-9-]).")
    String name;

    @Option(
        names = "--model-version",
        description = "Version to write (default: one above the newest, or 1).")
    String version;

    @Option(
        names = "--task",
        description =
            "image-classification, image-generation, text-classification, text-embedding or"
                + " time-series-forecast (default: told from the graph, when it can be).")
    String task;

    @Option(
        names = "--preset",
        description = "Named defaults: imagenet, unit, symmetric (image classifiers).")
    String preset;

    @Option(names = "--labels", split = ",", description = "Class labels in output order.")
    List<String> labels = new ArrayList<>();

    @Option(
        names = "--labels-file",
        description = "File of labels, one per line (copied beside the card).")
    Path labelsFile;

    @Option(
        names = "--tokenizer",
        description =
            "A text model's Hugging Face tokenizer: its tokenizer.json, or the model folder holding"
                + " it with config.json (labels from id2label) and tokenizer_config.json.")
    Path tokenizer;

    @Option(
        names = "--set",
        description =
            "Card key=value, e.g. preprocessing.mean=[0.5,0.5,0.5] (value as JSON, else a"
                + " string; repeatable).")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(
        names = "--repository",
        description = "Model repository root (default: models.repository of --config).")
    Path repository;

    @Option(
        names = {"-c", "--config"},
        description = "Properties file whose models.repository is used.")
    Path config;

    @Option(names = "--no-smoke", description = "Do not load and run the model once.")
    boolean noSmoke;

    @Override
    public Integer call() throws IOException {
      Map<String, JsonNode> overrides = new LinkedHashMap<>();
      set.forEach((k, v) -> overrides.put(k, json(v)));
      ImportRequest request =
          new ImportRequest(
              onnx,
              repository(),
              name,
              Optional.ofNullable(version),
              Optional.ofNullable(task).map(ModelCommand::task),
              Optional.ofNullable(preset),
              labels,
              Optional.ofNullable(labelsFile),
              Optional.ofNullable(tokenizer),
              overrides,
              !noSmoke);
      ModelImporter.run(request).lines().forEach(System.out::println);
      return 0;
    }

    private Path repository() throws IOException {
      if (repository != null) {
        return repository;
      }
      Properties p = new Properties();
      if (config != null) {
        try (Reader r = Files.newBufferedReader(config)) {
          p.load(r);
        }
      }
      return Path.of(
          StreamInferConfig.load(p, System.getenv(), Map.of())
              .getString(StreamInferConfig.MODELS_REPOSITORY));
    }
  }

  private static Task task(String id) {
    try {
      return Task.fromId(id);
    } catch (IllegalArgumentException e) {
      throw new ImportRefusedException("--task: " + e.getMessage());
    }
  }

  /** A --set value: JSON when it parses as JSON, else the text itself. */
  static JsonNode json(String value) {
    try {
      return new ObjectMapper().readTree(value);
    } catch (IOException e) {
      return JsonNodeFactory.instance.textNode(value);
    }
  }
}

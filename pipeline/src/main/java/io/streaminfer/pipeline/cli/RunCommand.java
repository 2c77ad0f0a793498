package io.streaminfer.pipeline.cli;

import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.StreamInferConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Runs the pipeline against any Kafka cluster until stopped (SIGTERM closes it cleanly). */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Run the pipeline against existing Kafka bootstrap servers.")
final class RunCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Override
  public Integer call() throws Exception {
    StreamInferConfig c = config.load();
    StreamInferApp app = StreamInferApp.start(c);
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "streaminfer-shutdown"));
    app.awaitStop();
    if (app.state() != org.apache.kafka.streams.KafkaStreams.State.ERROR) {
      return 0;
    }
    // the streams' own log has the stack trace; the operator gets one line and a status to act on
    Throwable cause = app.failure().orElse(null);
    String refused = io.streaminfer.pipeline.app.KafkaRefusal.describe(cause);
    if (refused != null) {
      System.err.println("streaminfer: " + refused);
      return StreamInferCli.EXIT_KAFKA_REFUSED;
    }
    if (cause != null) {
      System.err.println("streaminfer: stopped in ERROR: " + cause);
    }
    return 1;
  }
}

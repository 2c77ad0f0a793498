package io.streaminfer.pipeline.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * StreamInfer's command line: {@code run}, {@code broker}, {@code demo}, {@code produce}, {@code
 * tail}, {@code config}, {@code model}.
 */
@Command(
    name = "streaminfer",
    mixinStandardHelpOptions = true,
    version = "StreamInfer 0.1.0",
    description = "Streaming inference on Kafka: events in, typed predictions out.",
    subcommands = {
      RunCommand.class,
      BrokerCommand.class,
      DemoCommand.class,
      ProduceCommand.class,
      TailCommand.class,
      ConfigCommand.class,
      SchemasCommand.class,
      ModelCommand.class
    })
public final class StreamInferCli implements Runnable {

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** Exit code of a refused configuration or model repository. */
  public static final int EXIT_BAD_SETUP = 2;

  /**
   * Exit code when Kafka refused this principal: wrong credentials (SASL, TLS) or missing ACLs on a
   * topic, group, transactional id or the cluster.
   */
  public static final int EXIT_KAFKA_REFUSED = 3;

  /** Entry point of the executable jar. */
  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new StreamInferCli());
    // a bad configuration or model is the user's to fix: one line naming the key or file, no stack
    // trace
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof org.apache.kafka.common.config.ConfigException
              || e instanceof io.streaminfer.models.ModelLoadException) {
            cmd.getErr().println("streaminfer: " + e.getMessage());
            return EXIT_BAD_SETUP;
          }
          String refused = io.streaminfer.pipeline.app.KafkaRefusal.describe(e);
          if (refused != null) {
            cmd.getErr().println("streaminfer: " + refused);
            return EXIT_KAFKA_REFUSED;
          }
          throw e;
        });
    System.exit(cli.execute(args));
  }
}

package io.streaminfer.pipeline.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** StreamInfer's command line: {@code run}, {@code demo}, {@code produce}, {@code tail}, {@code config}. */
@Command(name = "streaminfer", mixinStandardHelpOptions = true, version = "StreamInfer 0.1.0",
    description = "Streaming inference on Kafka: events in, typed predictions out.",
    subcommands = {RunCommand.class, DemoCommand.class, ProduceCommand.class, TailCommand.class, ConfigCommand.class})
public final class StreamInferCli implements Runnable {

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** Entry point of the executable jar. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new StreamInferCli()).execute(args));
  }
}

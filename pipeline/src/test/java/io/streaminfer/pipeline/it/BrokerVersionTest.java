package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.pipeline.TestConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose runs the broker release the project builds against: every {@code apache/kafka}
 * image in docker/docker-compose.yml is {@code ${KAFKA_VERSION}}, and docker/.env sets it to the
 * Kafka client release on the class path (the parent pom's kafka.version), which the Testcontainers
 * path uses too ({@link KafkaEndpoint#IMAGE}).
 */
class BrokerVersionTest {
  private static final Path DOCKER =
      Path.of(TestConfigs.repository()).toAbsolutePath().getParent().getParent().resolve("docker");

  @Test
  void composeAndTestcontainersRunTheKafkaReleaseOfThePom() throws Exception {
    String version = KafkaEndpoint.kafkaVersion();
    assertThat(version).matches("4\\.4\\.\\d+");
    Matcher env =
        Pattern.compile("(?m)^KAFKA_VERSION=(\\S+)$")
            .matcher(Files.readString(DOCKER.resolve(".env")));
    assertThat(env.find()).as("KAFKA_VERSION in docker/.env").isTrue();
    assertThat(env.group(1)).isEqualTo(version);
    String compose = Files.readString(DOCKER.resolve("docker-compose.yml"));
    Matcher images = Pattern.compile("image: apache/kafka:(\\S+)").matcher(compose);
    int n = 0;
    while (images.find()) {
      assertThat(images.group(1)).isEqualTo("${KAFKA_VERSION}");
      n++;
    }
    assertThat(n).isEqualTo(2);
    assertThat(KafkaEndpoint.IMAGE).isEqualTo("apache/kafka:" + version);
  }
}

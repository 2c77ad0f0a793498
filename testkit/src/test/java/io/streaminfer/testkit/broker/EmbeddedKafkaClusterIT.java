package io.streaminfer.testkit.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class EmbeddedKafkaClusterIT {

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void shouldDeliverARecordThroughASingleLoopbackNode() throws Exception {
    // given
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
      kafka.createTopics(2, "images");

      // when
      produce(kafka, "images", "img-1", "pixels");
      List<ConsumerRecord<String, String>> read = consume(kafka, "images", 1);

      // then
      assertThat(kafka.bootstrapServers()).matches("127\\.0\\.0\\.1:\\d+");
      assertThat(read)
          .singleElement()
          .satisfies(
              record -> {
                assertThat(record.key()).isEqualTo("img-1");
                assertThat(record.value()).isEqualTo("pixels");
              });
    }
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void shouldKeepAcceptingWritesWhileOneOfThreeNodesIsDown() throws Exception {
    // given
    try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(3)) {
      kafka.createTopics(1, "sensor-readings");
      assertThat(describe(kafka, "sensor-readings").partitions().get(0).replicas()).hasSize(3);

      // when
      kafka.stopBroker(1);
      produce(kafka, "sensor-readings", "co2", "315.4");
      kafka.restartBroker(1);
      produce(kafka, "sensor-readings", "co2", "315.9");

      // then
      assertThat(consume(kafka, "sensor-readings", 2))
          .extracting(ConsumerRecord::value)
          .containsExactly("315.4", "315.9");
    }
  }

  private static void produce(EmbeddedKafkaCluster kafka, String topic, String key, String value)
      throws Exception {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }
  }

  private static List<ConsumerRecord<String, String>> consume(
      EmbeddedKafkaCluster kafka, String topic, int expected) {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "embedded-kafka-it");
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  private static TopicDescription describe(EmbeddedKafkaCluster kafka, String topic)
      throws Exception {
    Properties config = new Properties();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (Admin admin = Admin.create(config)) {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .get(topic);
    }
  }
}

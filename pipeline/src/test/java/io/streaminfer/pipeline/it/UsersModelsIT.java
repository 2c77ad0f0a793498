package io.streaminfer.pipeline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.streaminfer.models.card.Task;
import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.UsersRoutes;
import io.streaminfer.pipeline.app.StreamInferApp;
import io.streaminfer.pipeline.config.Route;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.topology.Topics;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import io.streaminfer.testkit.OutputCollector;
import io.streaminfer.testkit.SampleData;
import io.streaminfer.testkit.SampleEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The users' models of {@link UsersRoutes} (torchvision mobilenet_v3_small on {@code photos}, the
 * unconditional colour DCGAN on {@code colour-art}, the Hugging Face BERT on {@code languages})
 * served on a real broker under exactly_once_v2 next to the bundled models on the default routes,
 * by configuration alone: every photo and sentence gets the label PyTorch gave it, each generation
 * request its samples, bad inputs of the new routes one typed dead letter each, and every default
 * route accounts for its inputs as before.
 */
class UsersModelsIT {
  @TempDir Path state;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void shouldServeUsersModelsNextToTheBundledFiveOnARealBroker() throws Exception {
    try (KafkaEndpoint kafka = KafkaEndpoint.start()) {
      // given: the default routes and the users' three, in one configuration
      Map<String, Object> p = new HashMap<>(UsersRoutes.keys());
      p.put(StreamInferConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      p.put(StreamInferConfig.APPLICATION_ID, "users-models-it");
      p.put(StreamInferConfig.PROCESSING_GUARANTEE, "exactly_once_v2");
      p.put(StreamInferConfig.STATE_DIR, state.toString());
      p.put("kafka.commit.interval.ms", "200");
      StreamInferConfig config = TestConfigs.config(p);
      kafka.createTopics(2, Topics.of(config).all());
      SampleEvents.Stream stream =
          SampleEvents.build(
              SampleData.load(), SampleEvents.Inputs.of(config), 30, 20, 20, 4, 2, true, 31);
      List<ProducerRecord<String, byte[]>> records =
          new ArrayList<>(stream.events().stream().map(SampleEvents.Event::record).toList());
      Map<String, String> expectedLabels = new LinkedHashMap<>();
      for (UsersRoutes.Photo photo : UsersRoutes.photos()) {
        records.add(photo(photo.event()));
        expectedLabels.put(photo.event().getId(), photo.expected());
      }
      byte[] notAPng =
          "GIF89a and the rest of a GIF".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      records.add(photo(UsersRoutes.image("gif-as-png", ImageEncoding.PNG, notAPng, null)));
      List<GenerationRequest> requests =
          List.of(
              UsersRoutes.request("art-1", "", 3, 11),
              UsersRoutes.request("art-2", "", 1, 12),
              UsersRoutes.request("art-labelled", "7", 1, 13));
      for (GenerationRequest r : requests) {
        records.add(
            new ProducerRecord<>(
                UsersRoutes.ART_IN,
                r.getId(),
                AvroSerdes.serde(GenerationRequest.class).serializer().serialize("", r)));
      }
      Map<String, String> expectedLanguages = new LinkedHashMap<>();
      List<io.streaminfer.schemas.TextEvent> sentences = new ArrayList<>();
      for (UsersRoutes.Sentence s : UsersRoutes.sentences()) {
        sentences.add(s.event());
        expectedLanguages.put(s.event().getId(), s.expected());
      }
      sentences.add(UsersRoutes.text("runes", "ᚠᛇᚻ ᛒᛦᚦ ᚠᛇᚻ"));
      // held-out sentences of every language (the demo's samples) for the embedding route, which
      // reads the languages route's topic
      Map<String, String> heldOut = new LinkedHashMap<>();
      List<SampleData.Sentence> samples = SampleData.load().texts();
      for (int i = 0; i < samples.size(); i++) {
        String id = "held-out-" + i;
        sentences.add(UsersRoutes.text(id, samples.get(i).text()));
        heldOut.put(id, samples.get(i).label());
      }
      for (var t : sentences) {
        records.add(
            new ProducerRecord<>(
                UsersRoutes.SENTENCES_IN,
                t.getId(),
                AvroSerdes.serde(io.streaminfer.schemas.TextEvent.class)
                    .serializer()
                    .serialize("", t)));
      }
      Map<String, Long> expectedPredictions = new LinkedHashMap<>();
      Map<String, Long> expectedDead = new LinkedHashMap<>();
      for (Route r : config.routes()) {
        List<SampleEvents.Event> in =
            stream.events().stream().filter(e -> e.record().topic().equals(r.input())).toList();
        expectedPredictions.put(
            r.name(),
            in.stream()
                .mapToLong(
                    e ->
                        r.task() == Task.TIME_SERIES_FORECAST
                            ? (e.predictions() > 0 ? r.models().size() : 0)
                            : e.predictions())
                .sum());
        expectedDead.put(r.name(), in.stream().filter(e -> e.expectedError() != null).count());
      }
      expectedPredictions.put("photos", (long) expectedLabels.size());
      expectedDead.put("photos", 1L);
      expectedPredictions.put("colour-art", 4L);
      expectedDead.put("colour-art", 1L);
      expectedPredictions.put("languages", (long) expectedLanguages.size() + heldOut.size());
      expectedDead.put("languages", 1L);
      expectedPredictions.put("embeddings", (long) expectedLanguages.size() + heldOut.size());
      expectedDead.put("embeddings", 1L);

      try (StreamInferApp app = StreamInferApp.start(config);
          OutputCollector out = new OutputCollector(kafka.bootstrapServers(), config, Map.of())) {
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();

        // when
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (var producer =
            new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
          records.forEach(producer::send);
        }
        long total = expectedPredictions.values().stream().mapToLong(Long::longValue).sum();
        long totalDead = expectedDead.values().stream().mapToLong(Long::longValue).sum();
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline
            && (out.predictions() < total || out.deadLetters().size() < totalDead)) {
          out.poll(Duration.ofMillis(250));
        }
        out.poll(Duration.ofSeconds(2)); // anything extra would show up as a duplicate

        // then: per route, input = predictions + dead letters, nothing more
        for (Route r : config.routes()) {
          assertThat((long) out.predictions(r.name()))
              .as(r.name() + " predictions")
              .isEqualTo(expectedPredictions.get(r.name()));
          assertThat(out.deadLettersOf(r.name()))
              .as(r.name() + " dead letters")
              .isEqualTo(expectedDead.get(r.name()));
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (Classification c : out.classifications("photos").values()) {
          labels.put(c.getId(), c.getTopK().get(0).getLabel());
          assertThat(c.getMetadata().getModelName()).isEqualTo("digits-mobilenet");
        }
        assertThat(labels).isEqualTo(expectedLabels);
        Map<String, String> languages = new LinkedHashMap<>();
        for (Classification c : out.classifications("languages").values()) {
          languages.put(c.getId(), c.getTopK().get(0).getLabel());
          assertThat(c.getMetadata().getModelName()).isEqualTo("langid-bert");
        }
        assertThat(languages).containsAllEntriesOf(expectedLanguages);
        // the embedding route: the nearest other held-out sentence (cosine of the unit vectors)
        // is mostly in the same language, far above what chance gives
        Map<String, io.streaminfer.schemas.Embedding> vectors = out.embeddings("embeddings");
        List<String> ids = new ArrayList<>(heldOut.keySet());
        int same = 0;
        for (String a : ids) {
          String nearest = null;
          double best = -2;
          for (String b : ids) {
            double cos = dot(vectors.get(a).getVector(), vectors.get(b).getVector());
            if (!a.equals(b) && cos > best) {
              best = cos;
              nearest = b;
            }
          }
          same += heldOut.get(a).equals(heldOut.get(nearest)) ? 1 : 0;
        }
        Map<String, Long> perLanguage = new HashMap<>();
        heldOut.values().forEach(l -> perLanguage.merge(l, 1L, Long::sum));
        double chance =
            perLanguage.values().stream()
                .mapToDouble(c -> Math.pow((double) c / ids.size(), 2))
                .sum();
        double agreement = (double) same / ids.size();
        System.out.printf(
            "embeddings: %d held-out sentences, neighbour in the same language %.3f (chance %.3f)%n",
            ids.size(), agreement, chance);
        assertThat(ids).hasSizeGreaterThanOrEqualTo(50);
        assertThat(agreement).isGreaterThan(0.85).isGreaterThan(4 * chance);
        assertThat(out.generated())
            .filteredOn(g -> g.getMetadata().getModelName().equals("digits-dcgan"))
            .hasSize(4);
        Map<String, String> codes = new HashMap<>();
        out.deadLetters().stream()
            .filter(d -> d.key() != null)
            .forEach(d -> codes.put(new String(d.key()), d.code()));
        assertThat(codes)
            .containsEntry("gif-as-png", "IMAGE_UNDECODABLE")
            .containsEntry("art-labelled", "UNKNOWN_CLASS")
            .containsEntry("runes", "TEXT_UNENCODABLE");
      }
    }
  }

  private static ProducerRecord<String, byte[]> photo(ImageEvent e) {
    return new ProducerRecord<>(
        UsersRoutes.PHOTOS_IN,
        e.getId(),
        AvroSerdes.serde(ImageEvent.class).serializer().serialize("", e));
  }

  private static double dot(List<Float> a, List<Float> b) {
    double s = 0;
    for (int i = 0; i < a.size(); i++) {
      s += (double) a.get(i) * b.get(i);
    }
    return s;
  }
}

package io.streaminfer.pipeline.topology;

import static io.streaminfer.pipeline.UsersRoutes.ART_IN;
import static io.streaminfer.pipeline.UsersRoutes.ART_OUT;
import static io.streaminfer.pipeline.UsersRoutes.PHOTOS_IN;
import static io.streaminfer.pipeline.UsersRoutes.PHOTOS_OUT;
import static io.streaminfer.pipeline.UsersRoutes.image;
import static io.streaminfer.pipeline.UsersRoutes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streaminfer.pipeline.TestConfigs;
import io.streaminfer.pipeline.UsersRoutes;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.pipeline.dlq.DeadLetters;
import io.streaminfer.pipeline.model.ModelRegistry;
import io.streaminfer.schemas.Classification;
import io.streaminfer.schemas.Embedding;
import io.streaminfer.schemas.GeneratedImage;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.TextEvent;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models of the kind users bring, served next to the bundled five by configuration alone: a
 * torchvision mobilenet_v3_small (RGB 224, ImageNet normalisation) on a {@code photos} route and an
 * unconditional RGB generator on a {@code colour-art} route. Every form of image its reference set
 * holds gets the label PyTorch gave it; images whose bytes are not what the event says, and a label
 * sent to the unconditional generator, are dead-lettered with their codes; the other routes keep
 * serving.
 */
class UsersModelsTopologyTest {
  @TempDir Path state;

  private static byte[] encode(BufferedImage img, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, format, out);
    return out.toByteArray();
  }

  @Test
  void shouldServeUsersCnnAndGeneratorFromConfigurationAlone() throws Exception {
    StreamInferConfig config = TestConfigs.config(UsersRoutes.keys());
    Map<String, String> expected = new LinkedHashMap<>();
    List<ImageEvent> photos = new ArrayList<>();
    for (UsersRoutes.Photo photo : UsersRoutes.photos()) {
      photos.add(photo.event());
      expected.put(photo.event().getId(), photo.expected());
    }
    BufferedImage rgb = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
    byte[] png = encode(rgb, "png");
    byte[] jpeg = encode(rgb, "jpg");
    byte[] gif = encode(rgb, "gif");
    photos.add(image("gif-as-png", ImageEncoding.PNG, gif, null));
    photos.add(image("png-as-jpeg", ImageEncoding.JPEG, png, null));
    photos.add(image("jpeg-as-png", ImageEncoding.PNG, jpeg, null));

    List<GenerationRequest> requests =
        List.of(
            request("art-1", "", 2, 42),
            request("art-2", "", 1, 7),
            request("art-labelled", "7", 1, 1));

    // the BERT language identifier: its reference texts, and one in a script its vocabulary lacks
    Map<String, String> languages = new LinkedHashMap<>();
    List<TextEvent> sentences = new ArrayList<>();
    for (UsersRoutes.Sentence s : UsersRoutes.sentences()) {
      sentences.add(s.event());
      languages.put(s.event().getId(), s.expected());
    }
    sentences.add(UsersRoutes.text("runes", "ᚠᛇᚻ ᛒᛦᚦ ᚠᛇᚻ"));
    // the embedding route reads the same topic: its reference texts get PyTorch's vectors
    Map<String, float[]> vectors = new LinkedHashMap<>();
    for (UsersRoutes.Embedded e : UsersRoutes.embedded()) {
      sentences.add(e.event());
      vectors.put(e.event().getId(), e.expected());
    }

    Map<String, List<TestRecord<String, byte[]>>> out = new HashMap<>();
    try (ModelRegistry models = ModelRegistry.open(config);
        TopologyTestDriver driver = TestConfigs.driver(config, models, state)) {
      TestInputTopic<String, byte[]> photoIn =
          driver.createInputTopic(PHOTOS_IN, new StringSerializer(), new ByteArraySerializer());
      for (ImageEvent e : photos) {
        photoIn.pipeInput(
            e.getId(), AvroSerdes.serde(ImageEvent.class).serializer().serialize(PHOTOS_IN, e));
      }
      TestInputTopic<String, byte[]> artIn =
          driver.createInputTopic(ART_IN, new StringSerializer(), new ByteArraySerializer());
      for (GenerationRequest r : requests) {
        artIn.pipeInput(
            r.getId(), AvroSerdes.serde(GenerationRequest.class).serializer().serialize(ART_IN, r));
      }
      TestInputTopic<String, byte[]> sentenceIn =
          driver.createInputTopic(
              UsersRoutes.SENTENCES_IN, new StringSerializer(), new ByteArraySerializer());
      for (TextEvent e : sentences) {
        sentenceIn.pipeInput(
            e.getId(),
            AvroSerdes.serde(TextEvent.class).serializer().serialize(UsersRoutes.SENTENCES_IN, e));
      }
      driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
      for (String t : Topics.of(config).outputs()) {
        out.put(
            t,
            driver
                .createOutputTopic(t, new StringDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList());
      }
    }

    // every form of image got PyTorch's label, with the route's lineage
    Map<String, String> got = new LinkedHashMap<>();
    for (var r : out.get(PHOTOS_OUT)) {
      Classification c =
          AvroSerdes.serde(Classification.class).deserializer().deserialize(PHOTOS_OUT, r.value());
      got.put(c.getId(), c.getTopK().get(0).getLabel());
      assertThat(c.getMetadata().getModelName()).isEqualTo("digits-mobilenet");
      assertThat(DeadLetters.header(r.headers(), DeadLetters.ROUTE)).isEqualTo("photos");
    }
    assertThat(got).isEqualTo(expected);
    // bytes that are not what the event says, and a label for an unconditional model, are refused
    Map<String, String> dead = new HashMap<>();
    for (var r : out.get(Topics.of(config).deadLetters())) {
      dead.put(r.key(), DeadLetters.header(r.headers(), DeadLetters.CODE));
    }
    assertThat(dead)
        .containsEntry("gif-as-png", "IMAGE_UNDECODABLE")
        .containsEntry("png-as-jpeg", "IMAGE_UNDECODABLE")
        .containsEntry("jpeg-as-png", "IMAGE_UNDECODABLE")
        .containsEntry("art-labelled", "UNKNOWN_CLASS")
        .containsEntry("runes", "TEXT_UNENCODABLE")
        .hasSize(5);
    // every reference text got PyTorch's language, from the Hugging Face tokenizer's three inputs
    Map<String, String> named = new LinkedHashMap<>();
    for (var r : out.get(UsersRoutes.SENTENCES_OUT)) {
      Classification c =
          AvroSerdes.serde(Classification.class)
              .deserializer()
              .deserialize(UsersRoutes.SENTENCES_OUT, r.value());
      named.put(c.getId(), c.getTopK().get(0).getLabel());
      assertThat(c.getMetadata().getModelName()).isEqualTo("langid-bert");
    }
    assertThat(named).containsAllEntriesOf(languages).hasSize(languages.size() + vectors.size());
    // ... and every text a vector on the embedding route, the reference ones PyTorch's
    Map<String, Embedding> embedded = new LinkedHashMap<>();
    for (var r : out.get(UsersRoutes.EMBEDDINGS_OUT)) {
      Embedding e =
          AvroSerdes.serde(Embedding.class)
              .deserializer()
              .deserialize(UsersRoutes.EMBEDDINGS_OUT, r.value());
      embedded.put(e.getId(), e);
      assertThat(e.getMetadata().getModelName()).isEqualTo("langid-bert-embed");
      assertThat(e.getPooling()).isEqualTo("mean");
      assertThat(e.getNormalized()).isTrue();
      assertThat(e.getVector()).hasSize(128);
    }
    assertThat(embedded).hasSize(sentences.size() - 1).doesNotContainKey("runes");
    vectors.forEach(
        (id, want) -> {
          List<Float> vector = embedded.get(id).getVector();
          for (int d = 0; d < want.length; d++) {
            assertThat((double) vector.get(d))
                .as("%s dim %d", id, d)
                .isCloseTo(want[d], within(1e-4));
          }
        });
    // the generator's samples are 32x32 RGB PNGs
    List<GeneratedImage> art =
        out.get(ART_OUT).stream()
            .map(
                r ->
                    AvroSerdes.serde(GeneratedImage.class)
                        .deserializer()
                        .deserialize(ART_OUT, r.value()))
            .toList();
    assertThat(art).hasSize(3);
    for (GeneratedImage g : art) {
      byte[] bytes = new byte[g.getPng().remaining()];
      g.getPng().get(bytes);
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
      assertThat(img.getWidth()).isEqualTo(32);
      assertThat(img.getHeight()).isEqualTo(32);
      assertThat(img.getColorModel().getNumColorComponents()).isEqualTo(3);
      assertThat(g.getMetadata().getModelName()).isEqualTo("digits-dcgan");
    }
  }
}

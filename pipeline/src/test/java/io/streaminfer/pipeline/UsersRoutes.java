package io.streaminfer.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.pipeline.config.StreamInferConfig;
import io.streaminfer.schemas.GenerationRequest;
import io.streaminfer.schemas.ImageEncoding;
import io.streaminfer.schemas.ImageEvent;
import io.streaminfer.schemas.TextEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes for models of the kind users bring, declared next to the four default routes by
 * configuration alone: the torchvision mobilenet_v3_small (RGB 224, ImageNet normalisation) on
 * {@code photos}, the unconditional RGB generator on {@code colour-art} and the Hugging Face BERT
 * language identifier (WordPiece tokenizer.json, three graph inputs) on {@code languages} and its
 * encoder as a text embedding on {@code embeddings} (the same input topic); and the events they
 * take, from the mobilenet's reference set (every form of image, with the label PyTorch gave it).
 */
public final class UsersRoutes {
  public static final String PHOTOS_IN = "photos";
  public static final String PHOTOS_OUT = "photo-predictions";
  public static final String ART_IN = "art-requests";
  public static final String ART_OUT = "colour-images";
  public static final String SENTENCES_IN = "sentences";
  public static final String SENTENCES_OUT = "language-predictions";
  public static final String EMBEDDINGS_OUT = "sentence-embeddings";

  private UsersRoutes() {}

  /**
   * The route keys: the default four, {@code photos}, {@code colour-art}, {@code languages} and
   * {@code embeddings}.
   */
  public static Map<String, Object> keys() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(
        StreamInferConfig.ROUTES,
        "images,texts,sensors,generation,photos,colour-art,languages,embeddings");
    p.put("routes.photos.input", PHOTOS_IN);
    p.put("routes.photos.task", "image-classification");
    p.put("routes.photos.models", "digits-mobilenet");
    p.put("routes.photos.output", PHOTOS_OUT);
    p.put("routes.colour-art.input", ART_IN);
    p.put("routes.colour-art.task", "image-generation");
    p.put("routes.colour-art.models", "digits-dcgan");
    p.put("routes.colour-art.output", ART_OUT);
    p.put("routes.languages.input", SENTENCES_IN);
    p.put("routes.languages.task", "text-classification");
    p.put("routes.languages.models", "langid-bert");
    p.put("routes.languages.output", SENTENCES_OUT);
    p.put("routes.embeddings.input", SENTENCES_IN);
    p.put("routes.embeddings.task", "text-embedding");
    p.put("routes.embeddings.models", "langid-bert-embed");
    p.put("routes.embeddings.output", EMBEDDINGS_OUT);
    return p;
  }

  /** A photo event and the label PyTorch gave its image. */
  public record Photo(ImageEvent event, String expected) {}

  /** Every example of the mobilenet's reference set as the event a producer sends. */
  public static List<Photo> photos() {
    JsonNode ref = reference("digits-mobilenet");
    List<Photo> out = new ArrayList<>();
    for (JsonNode ex : ref.path("examples")) {
      JsonNode in = ex.path("input");
      String id = ex.path("variant").asText() + "-" + out.size();
      ImageEvent.Builder b =
          ImageEvent.newBuilder(
              image(
                  id,
                  ImageEncoding.valueOf(in.path("encoding").asText()),
                  Base64.getDecoder().decode(in.path("data_base64").asText()),
                  in.path("label").asText()));
      if (in.path("encoding").asText().equals("RAW_UINT8")) {
        b.setWidth(in.path("width").asInt())
            .setHeight(in.path("height").asInt())
            .setChannels(in.path("channels").asInt());
      }
      out.add(new Photo(b.build(), ex.path("expected").path("label").asText()));
    }
    return out;
  }

  /** A text event and the language PyTorch gave it. */
  public record Sentence(TextEvent event, String expected) {}

  /** Every example of the BERT language identifier's reference set as a producer's event. */
  public static List<Sentence> sentences() {
    List<Sentence> out = new ArrayList<>();
    for (JsonNode ex : reference("langid-bert").path("examples")) {
      out.add(
          new Sentence(
              text("sentence-" + out.size(), ex.path("input").path("text").asText()),
              ex.path("expected").path("label").asText()));
    }
    return out;
  }

  /** A text event and the vector PyTorch gave it. */
  public record Embedded(TextEvent event, float[] expected) {}

  /** Every example of the embedding's reference set as a producer's event (ids "embedded-N"). */
  public static List<Embedded> embedded() {
    List<Embedded> out = new ArrayList<>();
    for (JsonNode ex : reference("langid-bert-embed").path("examples")) {
      JsonNode v = ex.path("expected").path("vector");
      float[] want = new float[v.size()];
      for (int i = 0; i < want.length; i++) {
        want[i] = (float) v.get(i).asDouble();
      }
      out.add(
          new Embedded(
              text("embedded-" + out.size(), ex.path("input").path("text").asText()), want));
    }
    return out;
  }

  private static JsonNode reference(String model) {
    try {
      return new ObjectMapper()
          .readTree(Path.of(TestConfigs.repository(), model, "1", "reference.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A text event. */
  public static TextEvent text(String id, String text) {
    return TextEvent.newBuilder()
        .setId(id)
        .setEventTime(Instant.parse("2026-12-01T00:00:00Z"))
        .setText(text)
        .build();
  }

  /** An image event. */
  public static ImageEvent image(String id, ImageEncoding enc, byte[] data, String label) {
    return ImageEvent.newBuilder()
        .setId(id)
        .setEventTime(Instant.parse("2026-12-01T00:00:00Z"))
        .setEncoding(enc)
        .setData(ByteBuffer.wrap(data))
        .setLabel(label)
        .build();
  }

  /** A generation request. */
  public static GenerationRequest request(String id, String label, int samples, long seed) {
    return GenerationRequest.newBuilder()
        .setId(id)
        .setEventTime(Instant.parse("2026-12-01T00:00:00Z"))
        .setLabel(label)
        .setSamples(samples)
        .setSeed(seed)
        .build();
  }
}

package io.streaminfer.models.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import io.streaminfer.models.card.Task;
import io.streaminfer.models.card.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The layouts, colour orders, dtypes and geometries a user's card may ask for, checked against the
 * same raw RGB image written as the plain NCHW float tensor: NHWC is its transpose, BGR its
 * channels reversed, uint8 its values as bytes, grey its BT.601 luma, letterbox the image inside
 * its padding.
 */
class ImageLayoutsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int H = 4;
  private static final int W = 6;
  private static final byte[] RGB = new byte[H * W * 3];

  static {
    for (int i = 0; i < RGB.length; i++) {
      RGB[i] = (byte) (i * 7 % 256);
    }
  }

  private static final ImageInput IMAGE =
      new ImageInput(ImageInput.Encoding.RAW_UINT8, RGB, W, H, 3);

  private static ModelCard card(String dtype, long[] shape, String json) throws Exception {
    ObjectNode pre = (ObjectNode) JSON.readTree(json);
    pre.put("type", "image");
    return new ModelCard(
        "user-model",
        "1",
        Task.IMAGE_CLASSIFICATION,
        "0".repeat(64),
        List.of(new TensorSpec("pixels", dtype, shape)),
        List.of(new TensorSpec("scores", "float32", new long[] {-1, 2})),
        List.of("a", "b"),
        pre,
        JSON.readTree("{\"type\": \"softmax-top-k\", \"output\": \"scores\"}"),
        JSON.createObjectNode());
  }

  private static float[] floats(ModelCard c) {
    ImagePreprocessor p = new ImagePreprocessor(c);
    FloatBuffer b = FloatBuffer.allocate(p.elements());
    p.write(IMAGE, b);
    return b.array();
  }

  private static final String PLAIN =
      "{\"channels\": 3, \"height\": 4, \"width\": 6, \"resize\": \"exact\", \"scale_divisor\": 1,"
          + " \"mean\": 0, \"std\": 1";

  @Test
  void nhwcIsTheTransposeAndBgrTheReverseOfThePlainTensor() throws Exception {
    float[] nchw = floats(card("float32", new long[] {-1, 3, H, W}, PLAIN + "}"));
    for (int i = 0; i < H * W; i++) {
      for (int c = 0; c < 3; c++) {
        assertThat(nchw[c * H * W + i]).isEqualTo(RGB[i * 3 + c] & 0xFF);
      }
    }
    float[] nhwc =
        floats(card("float32", new long[] {-1, H, W, 3}, PLAIN + ", \"layout\": \"NHWC\"}"));
    float[] bgr =
        floats(card("float32", new long[] {-1, 3, H, W}, PLAIN + ", \"color\": \"bgr\"}"));
    for (int i = 0; i < H * W; i++) {
      for (int c = 0; c < 3; c++) {
        assertThat(nhwc[i * 3 + c]).isEqualTo(nchw[c * H * W + i]);
        assertThat(bgr[c * H * W + i]).isEqualTo(nchw[(2 - c) * H * W + i]);
      }
    }
    // dynamic spatial axes take the card's size
    assertThat(floats(card("float32", new long[] {-1, 3, -1, -1}, PLAIN + "}")))
        .containsExactly(nchw);
  }

  @Test
  void uint8NhwcInputGetsThePixelsAsTheyAre() throws Exception {
    ModelCard c =
        card(
            "uint8",
            new long[] {-1, H, W, 3},
            "{\"channels\": 3, \"height\": 4, \"width\": 6, \"layout\": \"NHWC\"}");
    ImagePreprocessor p = new ImagePreprocessor(c);
    ByteBuffer b = ByteBuffer.allocate(p.elements());
    p.write(IMAGE, b);
    assertThat(b.array()).containsExactly(RGB);
    assertThatThrownBy(
            () ->
                new ImagePreprocessor(
                    card(
                        "uint8",
                        new long[] {-1, H, W, 3},
                        "{\"channels\": 3, \"height\": 4, \"width\": 6, \"layout\": \"NHWC\","
                            + " \"mean\": 0.5}")))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("'preprocessing.mean'");
  }

  @Test
  void aGreyModelGetsTheLumaAndLetterboxKeepsTheAspect() throws Exception {
    float[] grey =
        floats(
            card(
                "float32",
                new long[] {-1, 1, H, W},
                "{\"channels\": 1, \"height\": 4, \"width\": 6, \"scale_divisor\": 1, \"mean\": 0,"
                    + " \"std\": 1}"));
    for (int i = 0; i < H * W; i++) {
      double luma =
          0.299 * (RGB[i * 3] & 0xFF)
              + 0.587 * (RGB[i * 3 + 1] & 0xFF)
              + 0.114 * (RGB[i * 3 + 2] & 0xFF);
      assertThat((double) grey[i]).isCloseTo(luma, within(1e-4));
    }
    // 4x6 into 12x12: scaled by 2 to 8x12, centred with two padded rows above and below
    float[] boxed =
        floats(
            card(
                "float32",
                new long[] {-1, 3, 12, 12},
                "{\"channels\": 3, \"height\": 12, \"width\": 12, \"resize\": \"letterbox\","
                    + " \"pad\": [1, 2, 3], \"scale_divisor\": 1, \"mean\": 0, \"std\": 1}"));
    for (int c = 0; c < 3; c++) {
      for (int x = 0; x < 12; x++) {
        for (int y : new int[] {0, 1, 10, 11}) {
          assertThat(boxed[c * 144 + y * 12 + x]).isEqualTo(c + 1);
        }
      }
      assertThat(boxed[c * 144 + 2 * 12]).as("the image's corner").isEqualTo(RGB[c] & 0xFF);
    }
  }

  @Test
  void aCardThatDisagreesWithItsGraphIsRefusedNamingTheKeyOrTensor() {
    assertThatThrownBy(
            () ->
                new ImagePreprocessor(
                    card("float32", new long[] {-1, 3, H, W}, PLAIN + ", \"layout\": \"CHW\"}")))
        .hasMessageContaining("'preprocessing.layout'");
    assertThatThrownBy(
            () -> new ImagePreprocessor(card("float32", new long[] {-1, H, W, 3}, PLAIN + "}")))
        .hasMessageContaining("input 'pixels'")
        .hasMessageContaining("preprocessing.layout");
    assertThatThrownBy(
            () ->
                new ImagePreprocessor(
                    card("float32", new long[] {-1, 3, H, W}, PLAIN + ", \"std\": [1, 0, 1]}")))
        .hasMessageContaining("'preprocessing.std'");
  }
}

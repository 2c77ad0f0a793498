package io.streaminfer.models.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streaminfer.models.InferenceException;
import io.streaminfer.models.ModelLoadException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Java's Hugging Face tokenization against Python's {@code tokenizers}: three tokenizers trained
 * here (BERT's WordPiece, byte-level BPE, SentencePiece-style Unigram) on 210 texts — held-out
 * fortunes of ten languages and made ones with accents, combining marks, full-width forms, CJK,
 * emoji and ZWJ sequences, zero-width characters, right-to-left scripts and overrides, controls,
 * and over-long texts — untruncated and truncated on either side. Ids, type ids and attention masks
 * must be identical (references made by {@code hf_tokenizers.py}).
 */
class HfTokenizerParityTest {
  private static final Path DIR = Path.of("src/test/resources/tokenizers");
  private static final JsonNode REF = read();

  private static JsonNode read() {
    try {
      return new ObjectMapper().readTree(DIR.resolve("texts.json").toFile());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String family : List.of("wordpiece", "bpe", "unigram")) {
      for (String mode : List.of("full", "right", "left")) {
        out.add(Arguments.of(family, mode));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void idsTypeIdsAndMasksEqualPythons(String family, String mode) {
    int max = mode.equals("full") ? Integer.MAX_VALUE : REF.path("max_length").asInt();
    HfTokenizer.Truncation side =
        mode.equals("left") ? HfTokenizer.Truncation.LEFT : HfTokenizer.Truncation.RIGHT;
    JsonNode want = REF.path("encodings").path(family).path(mode);
    JsonNode texts = REF.path("texts");
    assertThat(texts.size()).isGreaterThanOrEqualTo(200);
    int compared = 0;
    int truncated = 0;
    int refused = 0;
    try (HfTokenizer tok =
        HfTokenizer.load(DIR.resolve(family).resolve("tokenizer.json"), max, side, family)) {
      for (int i = 0; i < texts.size(); i++) {
        String text = texts.get(i).asText();
        JsonNode w = want.get(i);
        HfTokenizer.Tokens got;
        try {
          got = tok.encode(text);
        } catch (InferenceException e) {
          // refused: Python's encoding holds no content token, or only unknown ones
          int content = w.path("ids").size() - tok.specialTokens();
          long unknown = 0;
          for (JsonNode id : w.path("ids")) {
            unknown += id.asLong() == tok.unknownId() ? 1 : 0;
          }
          if (e.reason() == InferenceException.Reason.TEXT_EMPTY) {
            assertThat(content).as("%s text %d refused as empty", family, i).isZero();
          } else {
            assertThat(e.reason()).isEqualTo(InferenceException.Reason.TEXT_UNENCODABLE);
            assertThat(unknown).as("%s text %d refused as unknown", family, i).isEqualTo(content);
          }
          refused++;
          continue;
        }
        assertThat(got.ids())
            .as("%s %s ids of text %d: %s", family, mode, i, text)
            .containsExactly(longs(w.path("ids")));
        assertThat(got.typeIds())
            .as("%s type ids %d", family, i)
            .containsExactly(longs(w.path("type_ids")));
        assertThat(got.attentionMask())
            .as("%s mask %d", family, i)
            .containsExactly(longs(w.path("attention_mask")));
        compared++;
        if (got.length() == max) {
          truncated++;
        }
      }
    }
    assertThat(compared).as("texts compared").isGreaterThanOrEqualTo(200);
    // the empty texts, and for WordPiece the scripts its 3,000-token vocabulary never saw (Arabic,
    // Hebrew, Greek, Devanagari, Thai: every word [UNK], in Python too)
    assertThat(refused).as("texts refused").isLessThanOrEqualTo(10);
    if (!mode.equals("full")) {
      assertThat(truncated).as("texts truncated to the maximum").isGreaterThan(50);
    }
  }

  @Test
  void emptyAndUnknownOnlyTextsAreRefusedWithTypedReasons() {
    try (HfTokenizer wp =
        HfTokenizer.load(
            DIR.resolve("wordpiece/tokenizer.json"), 32, HfTokenizer.Truncation.RIGHT, "wp")) {
      // BERT's normaliser drops zero-width and control characters: nothing is left
      assertThatThrownBy(() -> wp.encode("\u200b\u200c\ufeff"))
          .isInstanceOfSatisfying(
              InferenceException.class,
              e -> assertThat(e.reason()).isEqualTo(InferenceException.Reason.TEXT_EMPTY));
      // a script the vocabulary never saw: every word is [UNK]
      assertThatThrownBy(() -> wp.encode("ᚠᛇᚻ ᛒᛦᚦ"))
          .isInstanceOfSatisfying(
              InferenceException.class,
              e -> assertThat(e.reason()).isEqualTo(InferenceException.Reason.TEXT_UNENCODABLE));
      assertThat(wp.encode("hello ᚠᛇᚻ").length()).isGreaterThan(wp.specialTokens());
    }
  }

  @Test
  void refuseTruncationRefusesOverLongTextsAndKeepsTheRest() {
    try (HfTokenizer wp =
        HfTokenizer.load(
            DIR.resolve("wordpiece/tokenizer.json"), 16, HfTokenizer.Truncation.REFUSE, "wp")) {
      assertThat(wp.encode("a short text").length()).isLessThanOrEqualTo(16);
      assertThatThrownBy(() -> wp.encode("word ".repeat(40)))
          .isInstanceOfSatisfying(
              InferenceException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(InferenceException.Reason.TEXT_TOO_LONG);
                assertThat(e.getMessage())
                    .containsPattern("text has \\d{2} tokens")
                    .contains("at most 16");
              });
    }
  }

  @Test
  void aBrokenOrMissingTokenizerOrATooShortMaximumFailsAtLoadNamingTheFileOrKey(
      @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path missing = tmp.resolve("tokenizer.json");
    assertThatThrownBy(() -> HfTokenizer.load(missing, 32, HfTokenizer.Truncation.RIGHT, "m:1"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(missing.toString());
    Files.writeString(missing, "{\"model\": {\"type\": \"WordPiece\"}, \"nonsense\": 1}");
    assertThatThrownBy(() -> HfTokenizer.load(missing, 32, HfTokenizer.Truncation.RIGHT, "m:1"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("cannot be read")
        .hasMessageContaining(missing.toString());
    assertThatThrownBy(
            () ->
                HfTokenizer.load(
                    DIR.resolve("wordpiece/tokenizer.json"),
                    2,
                    HfTokenizer.Truncation.RIGHT,
                    "m:1"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("preprocessing.max_length")
        .hasMessageContaining("2 special tokens");
  }

  private static long[] longs(JsonNode a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asLong();
    }
    return out;
  }
}

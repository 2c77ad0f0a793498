package io.streaminfer.models.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The card {@link ModelImporter} is writing, while families fill it: the pre- and postprocessing
 * sections, the labels, and a record of where each key came from — set by the user, by the preset,
 * read from the graph (inferred) or a default the user should check (assumed) — and of each key
 * nobody could fill. Not thread-safe; one per import.
 */
public final class CardDraft {
  private final ObjectNode pre = JsonNodeFactory.instance.objectNode();
  private final ObjectNode post = JsonNodeFactory.instance.objectNode();
  private final List<String> labels = new ArrayList<>();
  private final List<String> inferred = new ArrayList<>();
  private final List<String> assumed = new ArrayList<>();
  private final Map<String, String> missing = new LinkedHashMap<>();
  private String description;

  /** The preprocessing section so far. */
  public ObjectNode preprocessing() {
    return pre;
  }

  /** The postprocessing section so far. */
  public ObjectNode postprocessing() {
    return post;
  }

  /** The labels, in output order (empty when none). */
  public List<String> labels() {
    return labels;
  }

  /** The card's description, or null when nobody set one. */
  public String description() {
    return description;
  }

  /** Sets the description unless the user did. */
  public void describe(String text) {
    if (description == null) {
      description = text;
    }
  }

  /** Sets a key the user gave ({@code section.key} or {@code description}). */
  void override(String key, JsonNode value) {
    if (key.equals("description")) {
      description = value.asText();
      return;
    }
    section(key).set(field(key), value);
  }

  /** Whether {@code section.key} (or {@code labels}) has a value. */
  public boolean has(String key) {
    if (key.equals("labels")) {
      return !labels.isEmpty();
    }
    return section(key).has(field(key));
  }

  /** The value of {@code section.key} (a missing node when unset). */
  public JsonNode get(String key) {
    return section(key).path(field(key));
  }

  /** Sets {@code section.key} unless set, as read from the graph; {@code how} says from what. */
  public void infer(String key, JsonNode value, String how) {
    if (!has(key)) {
      section(key).set(field(key), value);
      inferred.add(key + " = " + value + " (" + how + ")");
    }
  }

  /**
   * Sets {@code section.key} unless set, to a default the user should check; {@code why} says when
   * it would be wrong.
   */
  public void assume(String key, JsonNode value, String why) {
    if (!has(key)) {
      section(key).set(field(key), value);
      assumed.add(key + " = " + value + ": " + why);
    }
  }

  /** Sets {@code section.key} unless set, silently: a key every such card carries. */
  public void fill(String key, JsonNode value) {
    if (!has(key)) {
      section(key).set(field(key), value);
    }
  }

  /** Records that {@code section.key} could not be filled and what to do about it. */
  public void missing(String key, String how) {
    if (!has(key)) {
      missing.put(key, how);
    }
  }

  /** What was read from the graph, one line each. */
  public List<String> inferred() {
    return List.copyOf(inferred);
  }

  /** What was assumed, one line each with when it would be wrong. */
  public List<String> assumed() {
    return List.copyOf(assumed);
  }

  /** The keys nobody could fill, with what to set. */
  public Map<String, String> missingKeys() {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(missing));
  }

  /** Records an assumption that is not one key (e.g. the labels). */
  public void note(String assumption) {
    assumed.add(assumption);
  }

  private ObjectNode section(String key) {
    if (key.startsWith("preprocessing.")) {
      return pre;
    }
    if (key.startsWith("postprocessing.")) {
      return post;
    }
    throw new IllegalArgumentException("not a section key: " + key);
  }

  private static String field(String key) {
    return key.substring(key.indexOf('.') + 1);
  }

  /**
   * The output {@code postprocessing.output} names (refused when the graph has none of that name),
   * else the one of {@code candidates} (recorded as inferred, {@code how}), else null with the key
   * marked missing ({@code what}: what to name, e.g. "the image").
   */
  OnnxGraph.Value output(
      OnnxGraph g, java.util.List<OnnxGraph.Value> candidates, String how, String what) {
    if (has("postprocessing.output")) {
      OnnxGraph.Value out = g.output(get("postprocessing.output").asText());
      if (out == null) {
        throw new ImportRefusedException(
            "postprocessing.output is "
                + get("postprocessing.output")
                + " but the graph's outputs are "
                + g.outputs().stream().map(OnnxGraph.Value::name).toList());
      }
      return out;
    }
    if (candidates.size() == 1) {
      OnnxGraph.Value out = candidates.get(0);
      infer(
          "postprocessing.output",
          com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.textNode(out.name()),
          how);
      return out;
    }
    missing(
        "postprocessing.output",
        "the graph has "
            + candidates.size()
            + " such outputs among "
            + g.outputs().stream().map(OnnxGraph.Value::describe).toList()
            + "; name "
            + what);
    return null;
  }
}

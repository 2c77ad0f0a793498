package io.streaminfer.pipeline.topology;

import io.streaminfer.schemas.Classification;
import org.apache.avro.specific.SpecificRecord;

/** Whether a shadow's prediction agrees with the one the route served. */
final class Agreement {
  private Agreement() {}

  /**
   * For classifications, whether both name the same label; null where there is nothing to compare
   * (the route served none, or the records have no label).
   */
  static Boolean of(SpecificRecord served, SpecificRecord shadow) {
    if (served instanceof Classification a && shadow instanceof Classification b) {
      return a.getLabel().equals(b.getLabel());
    }
    return null;
  }
}

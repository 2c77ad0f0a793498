package io.streaminfer.pipeline.model;

import io.streaminfer.models.task.BatchTask;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;

/**
 * What one route serves at a moment: the primary version, an optional canary taking a stable share
 * of the keys, an optional shadow that also runs on every event the route serves, further versions
 * kept loaded (the rollback target among them), and the offset of the control record that asked for
 * it ({@code -1}: the route's configured models). Immutable; a processor reads one per batch
 * (through a {@link ModelRegistry.Lease}), so a route switches at a batch boundary.
 *
 * @param route the route's name
 * @param primary serves every event the canary does not take
 * @param canary the candidate, or null
 * @param canaryShare share of keys (0..1) the canary serves
 * @param shadow runs beside, its results never reach the route's output; or null
 * @param loaded further versions kept loaded and warm ({@code name:version} ids)
 * @param controlOffset offset of the control record on the control topic, or -1
 */
public record Serving(
    String route,
    BatchTask<?, ?, ?> primary,
    BatchTask<?, ?, ?> canary,
    double canaryShare,
    BatchTask<?, ?, ?> shadow,
    List<String> loaded,
    long controlOffset) {

  /** Buckets a key hash falls into: a share is kept to 1/10,000 of the keys. */
  public static final int BUCKETS = 10_000;

  /** Copies the list. */
  public Serving {
    loaded = List.copyOf(loaded);
  }

  /** The configured serving of a route: {@code primary} alone. */
  public static Serving configured(String route, BatchTask<?, ?, ?> primary) {
    return new Serving(route, primary, null, 0, null, List.of(), -1);
  }

  /**
   * The task that serves the event keyed {@code key}: the canary when the key's bucket lies below
   * its share, else the primary. A key keeps its version while the split stands; an event without a
   * key is served by the primary.
   */
  public BatchTask<?, ?, ?> pick(byte[] key) {
    return canary != null && inCanary(key, canaryShare) ? canary : primary;
  }

  /**
   * Whether {@code key} falls into a canary of {@code share}: its murmur2 hash (Kafka's partitioner
   * hash), modulo {@link #BUCKETS}, is below share × BUCKETS.
   */
  public static boolean inCanary(byte[] key, double share) {
    if (key == null || share <= 0) {
      return false;
    }
    return Utils.toPositive(Utils.murmur2(key)) % BUCKETS < Math.round(share * BUCKETS);
  }

  /** The ids ({@code name:version}) of every version this serving needs loaded. */
  public Set<String> ids() {
    Set<String> out = new LinkedHashSet<>();
    out.add(primary.model().card().id());
    if (canary != null) {
      out.add(canary.model().card().id());
    }
    if (shadow != null) {
      out.add(shadow.model().card().id());
    }
    out.addAll(loaded);
    return out;
  }

  /** The id of a task, or null. */
  static String id(BatchTask<?, ?, ?> t) {
    return t == null ? null : t.model().card().id();
  }
}

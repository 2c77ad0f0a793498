package io.streaminfer.pipeline.model;

import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelVersion;
import io.streaminfer.schemas.serde.AvroSerdes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The rollout operations as changes of a route's desired state (a {@link ModelControl}): each takes
 * the route's latest record (or, before its first, the route's configured model as {@code serving})
 * and returns the next record. {@code loaded} holds every deployed version but the serving one (the
 * canary, the shadow and the rollback target among them). Pure; throws {@link
 * IllegalArgumentException} saying why an operation does not apply.
 */
public final class ControlChanges {
  static {
    AvroSerdes.trust(); // the builders fill defaults that hold generated records
  }

  private ControlChanges() {}

  /** The state of a route that has no control record: its configured model serves alone. */
  public static ModelControl configured(String route, ModelVersion serving) {
    return ModelControl.newBuilder()
        .setRoute(route)
        .setServing(serving)
        .setOperation("configured")
        .setIssuedAt(Instant.EPOCH)
        .build();
  }

  /**
   * Loads {@code v} on every instance (warm, not serving); with {@code serve} it serves at once
   * (the version it replaces stays loaded as the rollback target).
   */
  public static ModelControl deploy(ModelControl now, ModelVersion v, boolean serve) {
    if (serve) {
      return promoteTo(now, v, "deploy");
    }
    if (same(now.getServing(), v)) {
      throw new IllegalArgumentException(id(v) + " already serves route " + now.getRoute());
    }
    ModelControl.Builder b = next(now, "deploy");
    b.setLoaded(with(without(now.getLoaded(), v), v));
    return b.build();
  }

  /**
   * Serves {@code v} (default: the canary, else the shadow) on every key; the version it replaces
   * becomes the rollback target; the canary split ends.
   */
  public static ModelControl promote(ModelControl now, ModelVersion v) {
    ModelVersion target =
        v != null ? v : now.getCanary() != null ? now.getCanary() : now.getShadow();
    if (target == null) {
      throw new IllegalArgumentException(
          "route " + now.getRoute() + " has no canary or shadow to promote: name the version");
    }
    return promoteTo(now, target, "promote");
  }

  private static ModelControl promoteTo(ModelControl now, ModelVersion v, String operation) {
    if (same(now.getServing(), v)) {
      throw new IllegalArgumentException(id(v) + " already serves route " + now.getRoute());
    }
    ModelControl.Builder b = next(now, operation);
    b.setServing(v);
    b.setPrevious(now.getServing());
    b.setCanary(null).setCanaryShare(0);
    if (same(now.getShadow(), v)) {
      b.setShadow(null);
    }
    b.setLoaded(with(without(now.getLoaded(), v), now.getServing()));
    return b.build();
  }

  /**
   * Serves {@code v} on {@code share} (0..1] of the keys, or ends the canary for a share of 0 (the
   * candidate stays loaded).
   */
  public static ModelControl canary(ModelControl now, ModelVersion v, double share) {
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("canary share " + share + " is not in [0, 1]");
    }
    ModelControl.Builder b = next(now, "canary");
    if (share == 0) {
      return b.setCanary(null).setCanaryShare(0).build();
    }
    if (same(now.getServing(), v)) {
      throw new IllegalArgumentException(
          id(v) + " already serves route " + now.getRoute() + ": a canary must be another version");
    }
    return b.setCanary(v)
        .setCanaryShare(share)
        .setLoaded(with(without(now.getLoaded(), v), v))
        .build();
  }

  /** Runs {@code v} beside the serving version on every event; null ends the shadow. */
  public static ModelControl shadow(ModelControl now, ModelVersion v) {
    ModelControl.Builder b = next(now, "shadow");
    if (v == null) {
      return b.setShadow(null).build();
    }
    if (same(now.getServing(), v)) {
      throw new IllegalArgumentException(
          id(v) + " already serves route " + now.getRoute() + ": a shadow must be another version");
    }
    return b.setShadow(v).setLoaded(with(without(now.getLoaded(), v), v)).build();
  }

  /**
   * Serves the rollback target again on every key; the version rolled back from becomes the target
   * (a second rollback undoes the first); canary and shadow end.
   */
  public static ModelControl rollback(ModelControl now) {
    ModelVersion back = now.getPrevious();
    if (back == null) {
      throw new IllegalArgumentException(
          "route " + now.getRoute() + " has nothing to roll back to (no version served before)");
    }
    ModelControl.Builder b = next(now, "rollback");
    b.setServing(back).setPrevious(now.getServing()).setCanary(null).setCanaryShare(0);
    b.setShadow(null);
    b.setLoaded(with(without(now.getLoaded(), back), now.getServing()));
    return b.build();
  }

  /** Unloads {@code v} (not the serving version): it stops being canary, shadow or target. */
  public static ModelControl undeploy(ModelControl now, ModelVersion v) {
    if (same(now.getServing(), v)) {
      throw new IllegalArgumentException(
          id(v)
              + " serves route "
              + now.getRoute()
              + ": promote or roll back to another version first (or undeploy the route to"
              + " return it to its configured model)");
    }
    boolean known =
        now.getLoaded().stream().anyMatch(l -> same(l, v))
            || same(now.getCanary(), v)
            || same(now.getShadow(), v)
            || same(now.getPrevious(), v);
    if (!known) {
      throw new IllegalArgumentException(id(v) + " is not deployed on route " + now.getRoute());
    }
    ModelControl.Builder b = next(now, "undeploy");
    if (same(now.getCanary(), v)) {
      b.setCanary(null).setCanaryShare(0);
    }
    if (same(now.getShadow(), v)) {
      b.setShadow(null);
    }
    if (same(now.getPrevious(), v)) {
      b.setPrevious(null);
    }
    return b.setLoaded(without(now.getLoaded(), v)).build();
  }

  /** {@code name:version} of {@code v}. */
  public static String id(ModelVersion v) {
    return v == null ? null : v.getName() + ":" + v.getVersion();
  }

  private static ModelControl.Builder next(ModelControl now, String operation) {
    return ModelControl.newBuilder(now)
        .setOperation(operation)
        .setIssuedAt(Instant.now())
        .setIssuedBy(System.getProperty("user.name", "") + "@" + host());
  }

  private static String host() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }

  private static boolean same(ModelVersion a, ModelVersion b) {
    return a != null && b != null && Objects.equals(id(a), id(b));
  }

  private static List<ModelVersion> without(List<ModelVersion> list, ModelVersion v) {
    List<ModelVersion> out = new ArrayList<>();
    for (ModelVersion l : list) {
      if (!same(l, v)) {
        out.add(l);
      }
    }
    return out;
  }

  private static List<ModelVersion> with(List<ModelVersion> list, ModelVersion v) {
    List<ModelVersion> out = new ArrayList<>(list);
    out.add(v);
    return out;
  }
}

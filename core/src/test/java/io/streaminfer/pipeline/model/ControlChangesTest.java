package io.streaminfer.pipeline.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streaminfer.schemas.ModelControl;
import io.streaminfer.schemas.ModelVersion;
import org.junit.jupiter.api.Test;

/** The rollout recipe as changes of a route's desired state. */
class ControlChangesTest {
  private static ModelVersion v(String version) {
    return ModelVersion.newBuilder()
        .setName("digits-cnn")
        .setVersion(version)
        .setSha256("sha-" + version)
        .build();
  }

  private static String ids(java.util.List<ModelVersion> vs) {
    return String.join(" ", vs.stream().map(ControlChanges::id).toList());
  }

  @Test
  void shouldWalkDeployShadowCanaryPromoteRollback() {
    ModelControl c = ControlChanges.configured("images", v("1"));

    c = ControlChanges.deploy(c, v("2"), false);
    assertThat(ControlChanges.id(c.getServing())).isEqualTo("digits-cnn:1");
    assertThat(ids(c.getLoaded())).isEqualTo("digits-cnn:2");
    assertThat(c.getOperation()).isEqualTo("deploy");

    c = ControlChanges.shadow(c, v("2"));
    assertThat(ControlChanges.id(c.getShadow())).isEqualTo("digits-cnn:2");

    c = ControlChanges.canary(ControlChanges.shadow(c, null), v("2"), 0.1);
    assertThat(c.getShadow()).isNull();
    assertThat(ControlChanges.id(c.getCanary())).isEqualTo("digits-cnn:2");
    assertThat(c.getCanaryShare()).isEqualTo(0.1);
    assertThat(ids(c.getLoaded())).isEqualTo("digits-cnn:2");

    c = ControlChanges.promote(c, null); // the canary
    assertThat(ControlChanges.id(c.getServing())).isEqualTo("digits-cnn:2");
    assertThat(ControlChanges.id(c.getPrevious())).isEqualTo("digits-cnn:1");
    assertThat(c.getCanary()).isNull();
    assertThat(ids(c.getLoaded())).isEqualTo("digits-cnn:1");

    c = ControlChanges.rollback(c);
    assertThat(ControlChanges.id(c.getServing())).isEqualTo("digits-cnn:1");
    assertThat(ControlChanges.id(c.getPrevious())).isEqualTo("digits-cnn:2");
    assertThat(ids(c.getLoaded())).isEqualTo("digits-cnn:2");

    c = ControlChanges.undeploy(c, v("2"));
    assertThat(c.getPrevious()).isNull();
    assertThat(c.getLoaded()).isEmpty();
  }

  @Test
  void shouldRefuseWhatDoesNotApply() {
    ModelControl c = ControlChanges.configured("images", v("1"));
    assertThatThrownBy(() -> ControlChanges.rollback(c))
        .hasMessageContaining("nothing to roll back");
    assertThatThrownBy(() -> ControlChanges.promote(c, null)).hasMessageContaining("no canary");
    assertThatThrownBy(() -> ControlChanges.undeploy(c, v("1")))
        .hasMessageContaining("serves route");
    assertThatThrownBy(() -> ControlChanges.undeploy(c, v("5")))
        .hasMessageContaining("not deployed");
    assertThatThrownBy(() -> ControlChanges.canary(c, v("2"), 1.5)).hasMessageContaining("[0, 1]");
    assertThatThrownBy(() -> ControlChanges.canary(c, v("1"), 0.1))
        .hasMessageContaining("another version");
    assertThatThrownBy(() -> ControlChanges.deploy(c, v("1"), true))
        .hasMessageContaining("already serves");
  }

  @Test
  void shouldDeployAndServeAtOnceKeepingTheOldVersionForRollback() {
    ModelControl c =
        ControlChanges.deploy(ControlChanges.configured("images", v("1")), v("2"), true);
    assertThat(ControlChanges.id(c.getServing())).isEqualTo("digits-cnn:2");
    assertThat(ControlChanges.id(c.getPrevious())).isEqualTo("digits-cnn:1");
    assertThat(ControlChanges.id(ControlChanges.rollback(c).getServing()))
        .isEqualTo("digits-cnn:1");
  }
}

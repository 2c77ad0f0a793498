package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AnomalyScorerTest {
  private final AnomalyScorer scorer = new AnomalyScorer(4.0);

  @Test
  void shouldAlertOnlyBeyondTheThresholdInExpectedErrors() {
    // forecast 10, window std 2, residual std 0.5: one expected error is 1.0
    SensorState.PendingForecast f = new SensorState.PendingForecast("m", 10, 2, 0.5);
    assertThat(scorer.alert(f, 14.0)).isEmpty();
    assertThat(scorer.alert(f, 14.5)).hasValue(4.5);
    assertThat(scorer.alert(f, 5.0)).hasValue(-5.0);
    assertThat(scorer.alert(null, 1e9)).as("no forecast yet").isEmpty();
  }
}

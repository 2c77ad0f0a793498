package io.streaminfer.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class SensorStateTest {
  private final SensorState.StateSerde serde = new SensorState.StateSerde();

  @Test
  void readingsOfSeveralValuesRoundTripAndKeepTheNewest() {
    SensorState s = SensorState.empty();
    for (int i = 0; i < 5; i++) {
      s = s.append(new double[] {i, 10 + i, 20 + i}, 1_000 + i, 0, 100 + i, 3);
    }
    assertThat(s.width()).isEqualTo(3);
    assertThat(s.count()).isEqualTo(3);
    assertThat(s.readings()).containsExactly(2, 12, 22, 3, 13, 23, 4, 14, 24);
    assertThat(s.offsets()).containsExactly(102, 103, 104);
    assertThat(s.upTo(1)).containsExactly(2, 12, 22, 3, 13, 23);

    SensorState back = serde.deserialize("t", serde.serialize("t", s));
    assertThat(back.width()).isEqualTo(3);
    assertThat(back.readings()).containsExactly(s.readings());
    assertThat(back.offsets()).containsExactly(s.offsets());
    assertThat(back.lastEventTimeMs()).isEqualTo(1_004);
  }

  @Test
  void aReadingOfAnotherWidthStartsTheWindowAfresh() {
    SensorState s = SensorState.empty().append(1, 1, 0, 1, 10).append(2, 2, 0, 2, 10);
    SensorState wider = s.append(new double[] {3, 4}, 3, 0, 3, 10);
    assertThat(wider.width()).isEqualTo(2);
    assertThat(wider.readings()).containsExactly(3, 4);
    assertThat(wider.offsets()).containsExactly(3);
  }

  @Test
  void statesWrittenBeforeReadingsHadFeaturesStillDecode() throws IOException {
    // version 3: no width; readings one value each
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(3);
      out.writeLong(77);
      out.writeInt(1);
      out.writeInt(2);
      out.writeDouble(1.5);
      out.writeLong(10);
      out.writeDouble(2.5);
      out.writeLong(11);
      out.writeBoolean(false);
      out.writeInt(0);
    }
    SensorState s = serde.deserialize("t", bytes.toByteArray());
    assertThat(s.width()).isEqualTo(1);
    assertThat(s.readings()).containsExactly(1.5, 2.5);
    assertThat(s.offsets()).containsExactly(10, 11);
    assertThat(s.partition()).isEqualTo(1);
  }

  @Test
  void truncatedOrImpossibleStatesAreRefused() {
    SensorState s = SensorState.empty().append(new double[] {1, 2}, 1, 0, 1, 4);
    byte[] ok = serde.serialize("t", s);
    assertThatThrownBy(() -> serde.deserialize("t", Arrays.copyOf(ok, ok.length - 3)))
        .isInstanceOf(SerializationException.class);
    byte[] zeroWidth = ok.clone();
    zeroWidth[1 + 8 + 4 + 3] = 0; // the width's low byte: width 0
    assertThatThrownBy(() -> serde.deserialize("t", zeroWidth))
        .isInstanceOf(SerializationException.class);
  }
}

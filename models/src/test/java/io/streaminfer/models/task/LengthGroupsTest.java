package io.streaminfer.models.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** How a batch of texts is cut into groups of similar length, each padded to its longest. */
class LengthGroupsTest {
  @Test
  void shortTextsRunApartFromLongOnesAndFailedInputsInNone() {
    List<int[]> groups = BatchTask.lengthGroups(new int[] {5, 5, 6, 100, 101, 0, 7});
    assertThat(groups).containsExactly(new int[] {0, 1, 2, 6}, new int[] {3, 4});
  }

  @Test
  void nothingToGroupGivesNoGroups() {
    assertThat(BatchTask.lengthGroups(new int[] {0, 12, 0})).isEmpty();
    assertThat(BatchTask.lengthGroups(new int[0])).isEmpty();
  }

  @Test
  void everyInputIsInOneGroupWhosePaddingIsAtMostAFifth() {
    Random rnd = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      int[] lengths = new int[1 + rnd.nextInt(64)];
      for (int i = 0; i < lengths.length; i++) {
        lengths[i] = rnd.nextInt(5) == 0 ? 0 : 3 + rnd.nextInt(126);
      }
      List<int[]> groups = BatchTask.lengthGroups(lengths);
      int[] seen = new int[lengths.length];
      for (int[] g : groups) {
        long tokens = 0;
        int longest = 0;
        for (int i : g) {
          seen[i]++;
          tokens += lengths[i];
          longest = Math.max(longest, lengths[i]);
        }
        assertThat((long) longest * g.length * 4).isLessThanOrEqualTo(tokens * 5);
      }
      long positive = java.util.Arrays.stream(lengths).filter(l -> l > 0).count();
      for (int i = 0; i < lengths.length; i++) {
        assertThat(seen[i]).isEqualTo(positive >= 2 && lengths[i] > 0 ? 1 : 0);
      }
    }
  }
}

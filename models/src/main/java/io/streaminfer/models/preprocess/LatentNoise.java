package io.streaminfer.models.preprocess;

import io.streaminfer.models.ModelLoadException;
import io.streaminfer.models.card.ModelCard;
import java.nio.FloatBuffer;

/**
 * The card's {@code latent-noise} preprocessing: noise drawn reproducibly from a request's seed
 * with SplitMix64, so that the same seed gives the same images in Java and in Python: {@code
 * box-muller-normal} (standard normal, Box-Muller, both outputs used) or {@code uniform} (one draw
 * u per value, {@code 2u - 1} in [-1, 1)). A request for n samples fills an (n, latent) matrix row
 * by row; sample i is row i.
 */
public final class LatentNoise {
  private final int latent;
  private final boolean uniform;

  /** Reads the preprocessing from a card with {@code preprocessing.type = latent-noise}. */
  public LatentNoise(ModelCard card) {
    String distribution = card.preprocessing().path("distribution").asText();
    if (!"latent-noise".equals(card.preprocessing().path("type").asText())
        || !"splitmix64".equals(card.preprocessing().path("generator").asText())
        || !(distribution.equals("box-muller-normal") || distribution.equals("uniform"))) {
      throw new ModelLoadException(
          card.id()
              + ": preprocessing is not splitmix64 latent noise (model card keys"
              + " 'preprocessing.generator' = splitmix64, 'preprocessing.distribution' ="
              + " box-muller-normal or uniform)");
    }
    this.uniform = distribution.equals("uniform");
    this.latent = (int) card.pre("latent_dim");
  }

  /** Noise values per sample. */
  public int latent() {
    return latent;
  }

  /** Writes row {@code index} of the noise matrix of a request with {@code seed} into dst. */
  public void write(long seed, int index, FloatBuffer dst) {
    dst.put(uniform ? uniformRow(seed, index, latent) : row(seed, index, latent));
  }

  /** Row {@code index} of the uniform noise of {@code seed}: draw k is value k. */
  static float[] uniformRow(long seed, int index, int latent) {
    SplitMix64 rng = new SplitMix64(seed + (long) index * latent * SplitMix64.GAMMA);
    float[] out = new float[latent];
    for (int i = 0; i < latent; i++) {
      out[i] = (float) (2.0 * rng.nextDouble() - 1.0);
    }
    return out;
  }

  /**
   * Row {@code index} (values {@code index × latent} onwards) of the noise stream of {@code seed},
   * without drawing the rows before it: SplitMix64's state after k draws is {@code seed + k × γ},
   * and each Box-Muller pair uses two draws, so the stream can start at any even value index.
   */
  static float[] row(long seed, int index, int latent) {
    long start = (long) index * latent;
    long pairStart = start & ~1L;
    float[] values = new float[Math.toIntExact(start - pairStart + latent)];
    fill(new SplitMix64(seed + pairStart * SplitMix64.GAMMA), values);
    return java.util.Arrays.copyOfRange(values, (int) (start - pairStart), values.length);
  }

  /** The first {@code n} values of the noise stream of {@code seed}, as float32. */
  public static float[] noise(long seed, long n) {
    float[] out = new float[Math.toIntExact(n)];
    fill(new SplitMix64(seed), out);
    return out;
  }

  private static void fill(SplitMix64 rng, float[] out) {
    for (int i = 0; i < out.length; i += 2) {
      double u1 = 1.0 - rng.nextDouble();
      double u2 = rng.nextDouble();
      double r = Math.sqrt(-2.0 * Math.log(u1));
      out[i] = (float) (r * Math.cos(2.0 * Math.PI * u2));
      if (i + 1 < out.length) {
        out[i + 1] = (float) (r * Math.sin(2.0 * Math.PI * u2));
      }
    }
  }

  /** SplitMix64 (Steele, Lea, Flood 2014). */
  public static final class SplitMix64 {
    /** The state increment per draw (the golden-ratio constant). */
    static final long GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    /** Starts the sequence at {@code seed}. */
    public SplitMix64(long seed) {
      this.state = seed;
    }

    /** The next 64 random bits. */
    public long nextLong() {
      long z = (state += GAMMA);
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) from the top 53 bits. */
    public double nextDouble() {
      return (nextLong() >>> 11) * 0x1.0p-53;
    }
  }
}

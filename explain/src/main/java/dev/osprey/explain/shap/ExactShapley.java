package dev.osprey.explain.shap;

import java.util.function.LongToDoubleFunction;

/**
 * Shapley values by enumerating every coalition:
 * {@code phi_i = sum_{S not containing i} |S|! (M - |S| - 1)! / M! * (v(S + i) - v(S))}.
 * Costs 2^M evaluations of v, so it is the test oracle for KernelSHAP on small games (M up to
 * about 20), not an explainer for 49 patches.
 */
public final class ExactShapley {
  /** Largest game enumerated (2^24 coalitions). */
  public static final int MAX_PLAYERS = 24;

  private ExactShapley() {}

  /**
   * Shapley values of the game {@code v} over {@code players} players; v is called once per
   * coalition (bit i of the mask = player i present), the empty coalition included.
   *
   * @throws IllegalArgumentException if players is not in 1..{@link #MAX_PLAYERS}
   */
  public static double[] values(int players, LongToDoubleFunction v) {
    long[] masks = new long[1 << checkPlayers(players)];
    for (int s = 0; s < masks.length; s++) {
      masks[s] = s;
    }
    double[] table = new double[masks.length];
    for (int s = 0; s < masks.length; s++) {
      table[s] = v.applyAsDouble(s);
    }
    return fromTable(players, table);
  }

  /** Shapley values of a {@link PatchGame}; its coalitions are evaluated in batches. */
  public static double[] values(PatchGame game) {
    int players = checkPlayers(game.players());
    long[] masks = new long[1 << players];
    for (int s = 0; s < masks.length; s++) {
      masks[s] = s;
    }
    return fromTable(players, game.values(masks));
  }

  /**
   * Shapley values from a table of {@code 2^players} coalition values indexed by mask.
   *
   * @throws IllegalArgumentException if the table has the wrong length
   */
  public static double[] fromTable(int players, double[] table) {
    checkPlayers(players);
    if (table.length != 1 << players) {
      throw new IllegalArgumentException("table of " + table.length + " values for " + players + " players");
    }
    // weight[s] = s! (M - s - 1)! / M!, for coalition sizes s = 0..M-1
    double[] weight = new double[players];
    for (int s = 0; s < players; s++) {
      weight[s] = 1.0 / (players * binomial(players - 1, s));
    }
    double[] phi = new double[players];
    for (int mask = 0; mask < table.length; mask++) {
      int size = Integer.bitCount(mask);
      for (int i = 0; i < players; i++) {
        if ((mask & (1 << i)) == 0) {
          phi[i] += weight[size] * (table[mask | (1 << i)] - table[mask]);
        }
      }
    }
    return phi;
  }

  static double binomial(int n, int k) {
    double r = 1;
    for (int i = 1; i <= k; i++) {
      r = r * (n - k + i) / i;
    }
    return r;
  }

  private static int checkPlayers(int players) {
    if (players < 1 || players > MAX_PLAYERS) {
      throw new IllegalArgumentException("exact Shapley takes 1.." + MAX_PLAYERS + " players, got " + players);
    }
    return players;
  }
}

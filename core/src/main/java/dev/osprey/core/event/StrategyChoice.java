package dev.osprey.core.event;

import java.util.Map;

/**
 * The strategy of one run and why.
 *
 * @param strategy what to run
 * @param reason one human line
 * @param figures the numbers the choice rests on ({@code strategy.*} keys, for the manifest)
 */
public record StrategyChoice(Strategy strategy, String reason, Map<String, Double> figures) {

  public StrategyChoice {
    figures = Map.copyOf(figures);
  }
}

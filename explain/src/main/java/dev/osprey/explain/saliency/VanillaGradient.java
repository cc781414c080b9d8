package dev.osprey.explain.saliency;

import dev.osprey.explain.AttributionMap;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.Method;
import dev.osprey.explain.Timings;
import dev.osprey.explain.model.GradientModel;
import dev.osprey.explain.model.InputGradients;
import dev.osprey.explain.model.OutputKind;
import java.util.Map;

/** Vanilla saliency: {@code d f_c / d x} (Simonyan et al. 2014), signed. */
public record VanillaGradient(GradientModel model, Params params) implements Explainer {

  /** @param output which output is differentiated (default: the class probability) */
  public record Params(OutputKind output) {
    public static Params defaults() {
      return new Params(OutputKind.PROBABILITY);
    }

    public Map<String, String> asMap() {
      return Map.of("output", output.name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  @Override
  public Method method() {
    return Method.GRADIENT;
  }

  @Override
  public Map<String, String> parameters() {
    return params.asMap();
  }

  @Override
  public AttributionMap explain(float[] input, int target) {
    Timings t = new Timings();
    InputGradients g = t.model(() -> model.inputGradients(new float[][] {input}, new int[] {target}, params.output()));
    return new AttributionMap(method(), parameters(), target, model.inputShape(), g.gradients()[0], model.runtime(),
        g.outputs()[0][target], null, null, null, t.toMillis());
  }
}

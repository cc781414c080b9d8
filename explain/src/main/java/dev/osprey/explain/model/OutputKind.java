package dev.osprey.explain.model;

/**
 * Which output a gradient is taken of. Saliency and Integrated Gradients explain the class
 * probability {@code p_c} by default (IG can take the logit: {@code explain.ig.output}); Grad-CAM,
 * as in Selvaraju et al., the pre-softmax score {@code y^c}.
 * A model without a softmax (e.g. a linear test model) returns the same for both.
 */
public enum OutputKind {
  PROBABILITY,
  LOGIT
}

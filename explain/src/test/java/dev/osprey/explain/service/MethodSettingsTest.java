package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.config.ConfigSource;
import dev.osprey.explain.Explainer;
import dev.osprey.explain.ImageShape;
import dev.osprey.explain.LinearModel;
import dev.osprey.explain.Method;
import dev.osprey.explain.TrainedDigits;
import dev.osprey.explain.model.OutputKind;
import dev.osprey.explain.saliency.GradCam;
import dev.osprey.explain.saliency.IntegratedGradients;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MethodSettingsTest {

  @Test
  void defaultsAreThePapersMethods() {
    MethodSettings d = MethodSettings.from(ConfigSource.of(Map.of()));
    assertEquals(MethodSettings.defaults(), d);
    assertEquals(32, d.igSteps());
    assertEquals(IntegratedGradients.Rule.MIDPOINT, d.igRule());
    assertEquals(OutputKind.PROBABILITY, d.igOutput());
    assertEquals(GradCam.Weights.GRADIENT_MEAN, d.gradCamWeights());
  }

  @Test
  void ruleAndWeightsAreReadByName() {
    MethodSettings s = MethodSettings.from(ConfigSource.of(Map.of(
        "explain.ig.steps", "64", "explain.ig.rule", "Adaptive", "explain.ig.output", "logit",
        "explain.gradcam.weights", "plus-plus")));
    assertEquals(64, s.igSteps());
    assertEquals(IntegratedGradients.Rule.ADAPTIVE, s.igRule());
    assertEquals(OutputKind.LOGIT, s.igOutput());
    // the explanation says what was attributed
    Explainer ig = s.explainer(Method.INTEGRATED_GRADIENTS, TrainedDigits.INPUT, LinearModel.random(new ImageShape(1, 28, 28), 10, 1), null, null);
    assertEquals(Map.of("steps", "64", "baseline", "black", "rule", "adaptive", "output", "logit"), ig.parameters());
    assertEquals(GradCam.Weights.PLUS_PLUS, s.gradCamWeights());
  }

  @Test
  void everyGradCamWeightingHasAConfigName() {
    assertEquals(GradCam.Weights.HI_RES,
        MethodSettings.from(ConfigSource.of(Map.of("explain.gradcam.weights", "hi-res"))).gradCamWeights());
    assertEquals(GradCam.Weights.XGRAD,
        MethodSettings.from(ConfigSource.of(Map.of("explain.gradcam.weights", "xgrad"))).gradCamWeights());
    Explainer cam = MethodSettings.from(ConfigSource.of(Map.of("explain.gradcam.weights", "hi-res")))
        .explainer(Method.GRAD_CAM, TrainedDigits.INPUT, LinearModel.random(new ImageShape(1, 28, 28), 10, 1), null, null);
    assertEquals("hi-res", cam.parameters().get("weights"));
  }

  @Test
  void anUnknownNameIsRejectedNamingTheKeyAndTheChoices() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MethodSettings.from(ConfigSource.of(Map.of("explain.ig.rule", "simpson"))));
    assertTrue(e.getMessage().contains("explain.ig.rule"), e.getMessage());
    assertTrue(e.getMessage().contains("midpoint, trapezoid, adaptive"), e.getMessage());
    assertTrue(e.getMessage().contains("simpson"), e.getMessage());
  }
}

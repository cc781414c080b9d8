package dev.osprey.explain.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.osprey.core.config.ConfigSource;
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
    assertEquals(GradCam.Weights.GRADIENT_MEAN, d.gradCamWeights());
  }

  @Test
  void ruleAndWeightsAreReadByName() {
    MethodSettings s = MethodSettings.from(ConfigSource.of(Map.of(
        "explain.ig.steps", "64", "explain.ig.rule", "Adaptive", "explain.gradcam.weights", "plus-plus")));
    assertEquals(64, s.igSteps());
    assertEquals(IntegratedGradients.Rule.ADAPTIVE, s.igRule());
    assertEquals(GradCam.Weights.PLUS_PLUS, s.gradCamWeights());
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

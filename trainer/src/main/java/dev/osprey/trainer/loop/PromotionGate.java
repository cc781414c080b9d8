package dev.osprey.trainer.loop;

import dev.osprey.core.event.GateDecision;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Champion vs candidate, as a pure function of their predictions on the same samples. The
 * candidate passes when every rule holds ({@link GateConfig} holds the thresholds):
 * <ol>
 *   <li><b>enough evidence</b>: at least {@code minHeldOut} held-out labels;
 *   <li><b>held-out accuracy</b> (recent labels neither model trained on):
 *       {@code acc(candidate) >= acc(champion) - heldOutMargin};
 *   <li><b>paired test</b>: exact McNemar on the held-out slice ({@link McNemarTest}); SUPERIORITY
 *       needs {@code p(better) < alpha}, NON_INFERIORITY needs {@code p(worse) >= alpha};
 *   <li><b>forgetting bound</b> on the reference test set:
 *       {@code acc(candidate) >= acc(champion) - forgettingBound};
 *   <li><b>quantization</b>: the candidate's int8 and fp32 predictions agree on at least
 *       {@code minInt8Agreement} of the agreement set;
 *   <li><b>label quality</b>: {@link LabelQualityGuard} (skipped, with a note, without a teacher).
 * </ol>
 * Every figure is returned, whether its rule passed or not.
 */
public final class PromotionGate {
  private static final double EPS = 1e-12;
  private final GateConfig config;

  public PromotionGate(GateConfig config) {
    this.config = config;
  }

  public GateConfig config() {
    return config;
  }

  public GateDecision decide(GateEvidence e) {
    Map<String, Double> f = new LinkedHashMap<>();
    List<String> refusals = new ArrayList<>();
    List<String> notes = new ArrayList<>();

    int[] y = e.heldOutLabels();
    int n = y.length;
    f.put("gate.heldOut.count", (double) n);
    f.put("gate.heldOut.minCount", (double) config.minHeldOut());
    if (n < config.minHeldOut()) {
      refusals.add("too little evidence: the held-out slice has " + n + " labels, the gate needs "
          + config.minHeldOut());
    }
    double champ = Double.NaN;
    double cand = Double.NaN;
    McNemarTest mcnemar = null;
    if (n > 0) {
      double[] acc = accuracies("gate.heldOut", y, e.championHeldOut(), e.candidateHeldOut(), f);
      champ = acc[0];
      cand = acc[1];
      f.put("gate.heldOut.margin", config.heldOutMargin());
      if (cand < champ - config.heldOutMargin() - EPS) {
        refusals.add(String.format("held-out accuracy %.4f is below the champion's %.4f by more than the margin %.4f",
            cand, champ, config.heldOutMargin()));
      }
      mcnemar = McNemarTest.of(y, e.championHeldOut(), e.candidateHeldOut());
      f.put("gate.mcnemar.championOnly", (double) mcnemar.championOnly());
      f.put("gate.mcnemar.candidateOnly", (double) mcnemar.candidateOnly());
      f.put("gate.mcnemar.pTwoSided", mcnemar.pTwoSided());
      f.put("gate.mcnemar.pBetter", mcnemar.pCandidateBetter());
      f.put("gate.mcnemar.pWorse", mcnemar.pCandidateWorse());
      f.put("gate.mcnemar.alpha", config.alpha());
      f.put("gate.mcnemar.superiority", config.mcnemar() == GateConfig.McNemarRule.SUPERIORITY ? 1.0 : 0.0);
      String pairs = mcnemar.candidateOnly() + " held-out samples only the candidate got right vs "
          + mcnemar.championOnly() + " only the champion";
      if (config.mcnemar() == GateConfig.McNemarRule.SUPERIORITY && !(mcnemar.pCandidateBetter() < config.alpha())) {
        refusals.add(String.format("McNemar: the candidate is not significantly better (%s; one-sided p = %.3g >= %.3g)",
            pairs, mcnemar.pCandidateBetter(), config.alpha()));
      } else if (config.mcnemar() == GateConfig.McNemarRule.NON_INFERIORITY && mcnemar.pCandidateWorse() < config.alpha()) {
        refusals.add(String.format("McNemar: the candidate is significantly worse (%s; one-sided p = %.3g < %.3g)",
            pairs, mcnemar.pCandidateWorse(), config.alpha()));
      }
    }

    int[] r = e.referenceLabels();
    f.put("gate.reference.count", (double) r.length);
    double refChamp = Double.NaN;
    double refCand = Double.NaN;
    if (r.length == 0) {
      refusals.add("forgetting unchecked: no reference test predictions");
    } else {
      double[] acc = accuracies("gate.reference", r, e.championReference(), e.candidateReference(), f);
      refChamp = acc[0];
      refCand = acc[1];
      f.put("gate.reference.forgettingBound", config.forgettingBound());
      if (refCand < refChamp - config.forgettingBound() - EPS) {
        refusals.add(String.format("forgetting: reference accuracy %.4f is %.4f below the champion's %.4f (bound %.4f)",
            refCand, refChamp - refCand, refChamp, config.forgettingBound()));
      }
    }

    int m = e.candidateFp32().length;
    f.put("gate.int8.count", (double) m);
    double agreement = Double.NaN;
    if (m == 0) {
      refusals.add("quantization unchecked: no int8 and fp32 predictions to compare");
    } else {
      agreement = accuracy(e.candidateFp32(), e.candidateInt8());
      f.put("gate.int8.agreement", agreement);
      f.put("gate.int8.minAgreement", config.minInt8Agreement());
      if (agreement < config.minInt8Agreement() - EPS) {
        refusals.add(String.format("quantization: int8 agrees with fp32 on %.4f of %d samples, below %.4f",
            agreement, m, config.minInt8Agreement()));
      }
    }

    String labelPart = "";
    if (e.hasTeacher()) {
      LabelQualityGuard.Verdict v = LabelQualityGuard.assess(e, config);
      f.putAll(v.figures());
      if (v.refused()) {
        refusals.add(v.reason());
      } else if (v.figures().containsKey("gate.labels.contradictUnanimous")) {
        labelPart = String.format(", labels contradicting the models %.4f <= %.4f",
            v.figures().get("gate.labels.contradictUnanimous"), v.figures().get("gate.labels.allowance"));
      }
    } else {
      notes.add("label-quality guard skipped: no teacher predictions");
      f.put("gate.labels.skipped", 1.0);
    }

    boolean passed = refusals.isEmpty();
    f.put("gate.passed", passed ? 1.0 : 0.0);
    String summary;
    if (passed) {
      summary = String.format("gate passed: held-out %.4f vs champion %.4f (McNemar %d:%d, p(better) = %.2g), "
              + "reference %.4f vs %.4f, int8 agreement %.4f%s",
          cand, champ, mcnemar.candidateOnly(), mcnemar.championOnly(), mcnemar.pCandidateBetter(),
          refCand, refChamp, agreement, labelPart);
    } else {
      summary = "gate refused: " + refusals.get(0) + (refusals.size() > 1 ? " (+" + (refusals.size() - 1) + " more)" : "");
    }
    return new GateDecision(passed, f, summary, refusals, notes);
  }

  /** Puts {@code <prefix>.championAccuracy}, {@code .candidateAccuracy}, {@code .accuracyDelta}; returns the first two. */
  private static double[] accuracies(String prefix, int[] labels, int[] champion, int[] candidate, Map<String, Double> f) {
    double champ = accuracy(labels, champion);
    double cand = accuracy(labels, candidate);
    f.put(prefix + ".championAccuracy", champ);
    f.put(prefix + ".candidateAccuracy", cand);
    f.put(prefix + ".accuracyDelta", cand - champ);
    return new double[] {champ, cand};
  }

  private static double accuracy(int[] truth, int[] predicted) {
    int right = 0;
    for (int i = 0; i < truth.length; i++) {
      right += truth[i] == predicted[i] ? 1 : 0;
    }
    return (double) right / truth.length;
  }
}

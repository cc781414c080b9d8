package dev.osprey.cli.demo;

import dev.osprey.core.data.Datasets;
import dev.osprey.core.djl.DjlOfflineGuard;
import dev.osprey.core.event.RunPhase;
import dev.osprey.core.event.RunTransition;
import dev.osprey.model.registry.ModelRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The loop's recovery figures (docs/benchmarks.md, "Retraining loop"): the whole demo with the
 * trainer ({@link Demo} with a {@link LoopScenario}) on full MNIST, paced at a rate, a drift from a
 * sample on, a share of the samples labeled 100 samples late. It reports the online accuracy over a
 * sliding window of the last {@code WINDOW} labeled outcomes (in replay order): before the drift, its
 * lowest after the onset, and the first sample after the onset at which it is back to
 * {@code >= 95%} of the pre-drift accuracy; the promoted model's accuracy on the unrotated MNIST
 * test set against the champion's (the gate's forgetting figures); and the run's timeline.
 *
 * <p>The stream is the second half of MNIST train, which the champion never saw (the demo's model
 * trains on {@code fixture:train}, the first 10,000 images): 15,000 samples of MNIST test would
 * wrap around its 10,000 images, and the forgetting bound is measured on MNIST test, which must stay
 * unseen. The champion and its teacher are trained once per work dir (the demo's model step,
 * {@link #CHAMPION}); each run first removes the candidates of earlier runs, so it starts from v1.
 *
 * <pre>LoopRecoveryBenchmark DATA_DIR WORK_DIR DRIFT STRATEGY [RATE] [SAMPLES_AFTER_ONSET] [MIN_LABELS] [EPOCHS] [COOLDOWN_S]</pre>
 *
 * STRATEGY {@code setup} only trains the champion. The trainer's cooldown is {@code COOLDOWN_S}
 * (default 10 s, not the demo's one run): the monitor raises false alarms on the clean part of this
 * stream (MNIST train; the champion's reference profile is measured on fixture:test, 1,000 MNIST test
 * digits), the runs they trigger are refused by the gate, and the alarm after the real onset must
 * still be able to start a run.
 * e.g. {@code data runs/loop rotate:30@5000 fine-tune 100 10000 300 3}. The explain service is not
 * started (its gradients would compete with the trainer on a small machine). Not a test.
 */
public final class LoopRecoveryBenchmark {
  static final int WINDOW = 500;
  static final double RECOVERED = 0.95;
  /** The champion: the demo's model step on all 10,000 fixture images, 1 teacher epoch and 2 student epochs (the demo: 3 + 3). */
  static final DemoModel.Budget CHAMPION = new DemoModel.Budget(10_000, 1, 2);

  private LoopRecoveryBenchmark() {}

  public static void main(String[] args) throws Exception {
    DjlOfflineGuard.install();
    if (args.length < 4) {
      System.err.println("usage: LoopRecoveryBenchmark DATA_DIR WORK_DIR DRIFT STRATEGY [RATE] [SAMPLES_AFTER_ONSET] [MIN_LABELS] [EPOCHS] "
          + "[COOLDOWN_S]");
      System.exit(2);
    }
    Path dataDir = Path.of(args[0]);
    Path work = Files.createDirectories(Path.of(args[1]));
    String drift = args[2];
    String strategy = args[3];
    double rate = args.length > 4 ? Double.parseDouble(args[4]) : 100;
    int afterOnset = args.length > 5 ? Integer.parseInt(args[5]) : 10_000;
    int minLabels = args.length > 6 ? Integer.parseInt(args[6]) : 300;
    int epochs = args.length > 7 ? Integer.parseInt(args[7]) : 3;
    Duration cooldown = Duration.ofSeconds(args.length > 8 ? Long.parseLong(args[8]) : 10);
    int onset = Integer.parseInt(drift.substring(drift.indexOf('@') + 1));
    Datasets datasets = new Datasets(dataDir);
    datasets.load("mnist:test"); // fails early, saying what to run, without full MNIST

    Path champion = work.resolve("champion-registry");
    new DemoModel(new ModelRegistry(champion), datasets, System.out, CHAMPION).ensure(Demo.MODEL);
    if (strategy.equals("setup")) {
      return; // the champion only (trained once per work dir, not timed)
    }
    // every run starts from v1: the candidates of earlier runs go
    ModelRegistry registry = new ModelRegistry(champion);
    for (int v : registry.versions(Demo.MODEL)) {
      if (v > 1) {
        delete(champion.resolve(Demo.MODEL).resolve(Integer.toString(v)));
      }
    }
    String tag = (drift + "-" + strategy).replaceAll("[^A-Za-z0-9.-]", "_");
    Path run = work.resolve(tag);
    delete(run);

    // the replay goes on SAMPLES_AFTER_ONSET samples after the first swap (at most onset + twice that): the
    // whole span of the criterion is replayed, and a later run after the cooldown has time to swap again
    LoopScenario loop = new LoopScenario(minLabels, afterOnset, epochs, strategy, "fixture:train", "mnist:test", cooldown);
    Demo.Options options = new Demo.Options("mnist:train@10000-60000", onset + 2 * afterOnset, 0, 0.2, rate, 42L,
        Files.createDirectories(run.resolve("work")), champion, Duration.ofMinutes(3), drift, loop);
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    long t0 = System.nanoTime();
    try (Demo demo = new Demo(options, datasets, out)) {
      demo.startBroker();
      int before = demo.ensureModel().manifest().version();
      demo.startIngest();
      demo.startMonitor();
      // no explain service: on two shared cores its gradients would compete with the trainer (the demo runs it)
      demo.startInference();
      demo.startTrainer();
      var sent = demo.replay();
      var got = demo.awaitArrivals(sent);
      var driftSummary = demo.awaitDriftReport(sent);
      LoopSummary summary = demo.awaitLoop(sent, driftSummary, before);
      boolean exactlyOnce = demo.report(sent, got);
      figures(out, demo.labelled(), onset, afterOnset, summary, drift, strategy, rate, exactlyOnce, (System.nanoTime() - t0) / 1e9);
    }
  }

  /** Prints the recovery figures and one markdown table row. */
  static void figures(PrintStream out, List<PredictionWatch.Labelled> labelled, int onset, int within, LoopSummary summary,
      String drift, String strategy, double rate, boolean exactlyOnce, double seconds) {
    int correctBefore = 0;
    int nBefore = 0;
    for (PredictionWatch.Labelled l : labelled) {
      if (l.index() < onset) {
        nBefore++;
        correctBefore += l.correct() ? 1 : 0;
      }
    }
    double pre = (double) correctBefore / nBefore;
    double target = RECOVERED * pre;
    // sliding window of the last WINDOW labeled outcomes, ending at each labeled sample (after the onset)
    List<int[]> windows = new java.util.ArrayList<>(); // {index, correct in window}
    int inWindow = 0;
    for (int i = 0; i < labelled.size(); i++) {
      inWindow += labelled.get(i).correct() ? 1 : 0;
      if (i >= WINDOW) {
        inWindow -= labelled.get(i - WINDOW).correct() ? 1 : 0;
      }
      if (i >= WINDOW - 1 && labelled.get(i).index() >= onset) {
        windows.add(new int[] {labelled.get(i).index(), inWindow});
      }
    }
    // the lowest window after the onset, then the first window after it back at the target
    int lowestAt = -1;
    double lowest = 1;
    for (int[] w : windows) {
      if ((double) w[1] / WINDOW < lowest) {
        lowest = (double) w[1] / WINDOW;
        lowestAt = w[0];
      }
    }
    int recoveredAt = -1;
    for (int[] w : windows) {
      if (w[0] > lowestAt && (double) w[1] / WINDOW >= target) {
        recoveredAt = w[0];
        break;
      }
    }
    RunTransition run = summary.activatedRun().orElse(summary.runs().isEmpty() ? null : summary.runs().get(0));
    Map<String, Double> gate = run == null || run.gate() == null ? Map.of() : run.gate().figures();
    double refChampion = gate.getOrDefault("gate.reference.championAccuracy", Double.NaN);
    double refCandidate = gate.getOrDefault("gate.reference.candidateAccuracy", Double.NaN);
    out.printf(Locale.ROOT, "%nrecovery (%s, %s, %.0f samples/s, %d labeled outcomes per window, %.0f s in all):%n", drift, strategy,
        rate, WINDOW, seconds);
    out.printf(Locale.ROOT, "  pre-drift accuracy %.4f on %d labeled; target %.0f%% of it = %.4f%n", pre, nBefore, 100 * RECOVERED,
        target);
    out.printf(Locale.ROOT, "  lowest window after the onset %.4f (at sample %d)%n", lowest, lowestAt);
    out.println(lowest >= target ? "  the window never fell below the target"
        : recoveredAt < 0 ? "  NOT recovered by the end of the replay"
        : String.format(Locale.ROOT, "  back to the target at sample %d: %d samples after the onset (%s %d)", recoveredAt,
            recoveredAt - onset, recoveredAt - onset <= within ? "within" : "NOT within", within));
    out.printf(Locale.ROOT, "  unrotated MNIST test: champion %.4f, promoted %.4f (%+.2f points)%n", refChampion, refCandidate,
        100 * (refCandidate - refChampion));
    out.printf(Locale.ROOT, "  accuracy by phase: before %s; during the drift %s; after the swap %s%n", summary.clean(),
        summary.duringDrift(), summary.afterSwap());
    if (run != null) {
      Map<RunPhase, Long> t = run.phaseTimes();
      Long trig = t.get(RunPhase.TRIGGERED);
      out.printf(Locale.ROOT, "  run %s: %s, trained + packaged + gated in %.1f s (triggered -> published -> gated), activated %.1f s "
          + "after the trigger%n", run.runId(), run.strategy() == null ? "?" : run.strategy().strategy().label(),
          secondsBetween(t, RunPhase.TRIGGERED, RunPhase.GATED), trig == null || !t.containsKey(RunPhase.ACTIVATED) ? Double.NaN
              : (t.get(RunPhase.ACTIVATED) - trig) / 1000.0);
    }
    out.printf(Locale.ROOT, "| %s | %s | %.4f | %.4f | %s | %.4f | %.4f | %.4f | %.1f | %s |%n", drift, strategy, pre, lowest,
        lowest >= target ? "never below" : recoveredAt < 0 ? "not recovered" : Integer.toString(recoveredAt - onset),
        refChampion, refCandidate, summary.afterSwap().value(),
        run == null ? Double.NaN : secondsBetween(run.phaseTimes(), RunPhase.TRIGGERED, RunPhase.ACTIVATED),
        exactlyOnce ? "yes" : "NO");
  }

  private static double secondsBetween(Map<RunPhase, Long> t, RunPhase from, RunPhase to) {
    return t.containsKey(from) && t.containsKey(to) ? (t.get(to) - t.get(from)) / 1000.0 : Double.NaN;
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}

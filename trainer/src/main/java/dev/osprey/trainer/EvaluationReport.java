package dev.osprey.trainer;

import java.util.List;

/**
 * How a model did on a labeled dataset.
 *
 * @param dataset dataset spec, e.g. "mnist:test"
 * @param count examples evaluated
 * @param accuracy top-1
 * @param errors misclassified examples
 * @param perClassAccuracy top-1 per true class
 * @param confusion rows = true class, columns = predicted class
 * @param ece expected calibration error ({@link Calibration#DEFAULT_BINS} bins)
 * @param reliability per-bin mean confidence and accuracy (the reliability diagram)
 * @param agreement top-1 agreement with the reference model, null without one
 * @param batchSize examples per timed batch
 * @param latencyMsPerBatch mean wall time per batch of the model's logits call
 */
public record EvaluationReport(
    String dataset,
    int count,
    double accuracy,
    int errors,
    List<Double> perClassAccuracy,
    int[][] confusion,
    double ece,
    Calibration.Bins reliability,
    Double agreement,
    int batchSize,
    double latencyMsPerBatch) {}

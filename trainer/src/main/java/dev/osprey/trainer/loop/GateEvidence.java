package dev.osprey.trainer.loop;

/**
 * Predictions (class indices) of the models the gate compares, each array aligned with its labels.
 *
 * <p>The teacher is the one the champion was distilled from, not one fine-tuned in this run: it
 * witnesses the labels, so it must not have learned them. Without a teacher (an imported model)
 * both teacher arrays are null and the label-quality guard is skipped, which the decision records.
 *
 * @param heldOutLabels labels of the run's held-out slice of recent labels
 * @param championHeldOut the champion's predictions on the held-out slice
 * @param candidateHeldOut the candidate's (fp32) predictions on the held-out slice
 * @param teacherHeldOut the teacher's predictions on the held-out slice, or null
 * @param referenceLabels labels of the reference test set
 * @param championReference the champion's predictions on the reference test set
 * @param candidateReference the candidate's (fp32) predictions on the reference test set
 * @param teacherReference the teacher's predictions on the reference test set, or null
 * @param candidateFp32 the candidate's fp32 predictions on the agreement set
 * @param candidateInt8 the candidate's int8 predictions on the same samples
 * @throws IllegalArgumentException if aligned arrays differ in length or only one teacher array is given
 */
public record GateEvidence(
    int[] heldOutLabels, int[] championHeldOut, int[] candidateHeldOut, int[] teacherHeldOut,
    int[] referenceLabels, int[] championReference, int[] candidateReference, int[] teacherReference,
    int[] candidateFp32, int[] candidateInt8) {

  public GateEvidence {
    requireAligned("held-out", heldOutLabels, championHeldOut, candidateHeldOut);
    requireAligned("reference", referenceLabels, championReference, candidateReference);
    requireAligned("int8 agreement", candidateFp32, candidateInt8);
    if (teacherHeldOut != null || teacherReference != null) {
      if (teacherHeldOut == null || teacherReference == null) {
        throw new IllegalArgumentException(
            "give the teacher's predictions on both the held-out and the reference set, or neither");
      }
      requireAligned("held-out", heldOutLabels, teacherHeldOut);
      requireAligned("reference", referenceLabels, teacherReference);
    }
  }

  public boolean hasTeacher() {
    return teacherHeldOut != null;
  }

  private static void requireAligned(String set, int[]... arrays) {
    for (int[] a : arrays) {
      if (a == null) {
        throw new IllegalArgumentException(set + ": predictions and labels must not be null");
      }
      if (a.length != arrays[0].length) {
        throw new IllegalArgumentException(set + ": arrays of " + arrays[0].length + " and " + a.length + " samples");
      }
    }
  }
}

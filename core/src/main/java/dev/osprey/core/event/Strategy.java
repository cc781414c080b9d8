package dev.osprey.core.event;

/** How a run produces its candidate. */
public enum Strategy {
  /** Fine-tune the serving student on the data mix (transfer learning). */
  FINE_TUNE("fine-tune"),
  /** Fine-tune the teacher on the data mix, then distill a fresh student from it. */
  RE_DISTILL("re-distill");

  private final String label;

  Strategy(String label) {
    this.label = label;
  }

  /** The recipe name written to the manifest's lineage and to metric tags. */
  public String label() {
    return label;
  }
}

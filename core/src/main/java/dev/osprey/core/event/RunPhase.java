package dev.osprey.core.event;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where a retraining run stands. Legal moves:
 * <pre>
 * TRIGGERED -> TRAINING -> PUBLISHED -> GATED -> ACTIVATED -> KEPT | ROLLED_BACK
 *              TRAINING -> TRAINING (a restart after a crash: the next attempt)
 * any non-terminal phase -> ABANDONED
 * </pre>
 * GATED is terminal when the gate refused; KEPT, ROLLED_BACK and ABANDONED always are.
 */
public enum RunPhase {
  /** A trigger fired; nothing trained yet. */
  TRIGGERED,
  /** Training (and export, quantization, measuring) is under way; attempt n. */
  TRAINING,
  /** The candidate is complete in the registry under a version; not yet judged. */
  PUBLISHED,
  /** The gate decided; passed or refused. */
  GATED,
  /** The candidate is serving; the rollback watch runs. */
  ACTIVATED,
  /** The rollback watch kept the candidate. */
  KEPT,
  /** The rollback watch reactivated the previous version. */
  ROLLED_BACK,
  /** Given up: too many failed attempts, superseded, or the world changed under the run. */
  ABANDONED;

  /** Whether {@code next} may follow this phase (GATED's dependence on the verdict is checked by the run). */
  public boolean canMoveTo(RunPhase next) {
    return next == ABANDONED ? this != KEPT && this != ROLLED_BACK && this != ABANDONED : successors().contains(next);
  }

  private Set<RunPhase> successors() {
    return switch (this) {
      case TRIGGERED -> EnumSet.of(TRAINING);
      case TRAINING -> EnumSet.of(TRAINING, PUBLISHED);
      case PUBLISHED -> EnumSet.of(GATED);
      case GATED -> EnumSet.of(ACTIVATED);
      case ACTIVATED -> EnumSet.of(KEPT, ROLLED_BACK);
      default -> EnumSet.noneOf(RunPhase.class);
    };
  }
}

package dev.osprey.trainer.service;

import dev.osprey.core.event.ModelActivation;
import dev.osprey.core.event.RunTransition;

/** Where a run's steps are written: the run log topic ({@link RunLog}), or memory in a benchmark. */
interface RunRecorder {
  /** Writes one step durably before returning. */
  void append(RunTransition step);

  /** Writes a step and the activation it records atomically: both or neither become visible. */
  void appendWithActivation(RunTransition step, ModelActivation activation);
}

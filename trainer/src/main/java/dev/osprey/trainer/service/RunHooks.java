package dev.osprey.trainer.service;

import dev.osprey.core.event.RunTransition;

/**
 * Called by the run worker right after each step of a run is durable on the run log (tests use it
 * to kill the trainer at a chosen point, the way a crash would).
 */
@FunctionalInterface
interface RunHooks {
  RunHooks NONE = step -> {};

  void written(RunTransition step);
}

/**
 * The retraining loop's decisions, as pure logic fed events in log order: when to retrain
 * ({@link dev.osprey.trainer.loop.TriggerPolicy}), on what data
 * ({@link dev.osprey.trainer.loop.TrainingDataPlan}), how
 * ({@link dev.osprey.trainer.loop.StrategyChooser}), whether to promote
 * ({@link dev.osprey.trainer.loop.PromotionGate}), whether to roll back
 * ({@link dev.osprey.trainer.loop.RollbackWatch}) and how to recover after a crash
 * ({@link dev.osprey.trainer.loop.RunRecovery}). Nothing here touches Kafka, the registry or an
 * engine; the trainer service wires these to the topics. See {@code docs/retraining.md}.
 */
package dev.osprey.trainer.loop;

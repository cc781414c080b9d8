package dev.osprey.trainer.service;

import dev.osprey.core.data.ImageDataset;
import dev.osprey.core.event.Strategy;
import dev.osprey.model.DatasetSchema;
import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.PyTorchPredictor;
import dev.osprey.trainer.Recipes;
import dev.osprey.trainer.TrainedModel;
import dev.osprey.trainer.TrainingRecord;
import dev.osprey.trainer.pipeline.ModelPipeline;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training step of a retraining run, for {@link ModelPipeline}: fine-tune the champion, or
 * adapt its teacher and distill a fresh student from it ({@link RecipeConfig}). Either way the
 * candidate keeps the champion's input spec and labels, and its lineage names the champion's
 * teacher (the one that never saw the recent labels, so the next run's gate can use it as a
 * witness); {@code details} (the run id among them) land in the manifest's hyperparameters as
 * {@code recipe.*}.
 */
final class CandidateTraining {
  /** Hyperparameter key of the run id in a candidate's manifest ({@code recipe.} + {@link #RUN_ID}). */
  static final String RUN_ID = "runId";
  static final String MANIFEST_RUN_ID = "recipe." + RUN_ID;

  private CandidateTraining() {}

  static ModelPipeline.Training of(Strategy strategy, ModelVersion champion, ModelVersion teacher, ImageDataset mix,
      RecipeConfig recipe, int seed, Map<String, Object> details) {
    return strategy == Strategy.FINE_TUNE
        ? recipes -> fineTune(recipes, champion, mix, recipe, seed, details)
        : recipes -> reDistill(recipes, champion, teacher, mix, recipe, seed, details);
  }

  private static TrainedModel fineTune(Recipes recipes, ModelVersion champion, ImageDataset mix, RecipeConfig recipe,
      int seed, Map<String, Object> details) throws dev.osprey.model.registry.ModelLoadException {
    DjlNetwork net = PublishedNetwork.load(champion);
    try {
      return recipes.adapt(Strategy.FINE_TUNE.label(), net, schema(champion.manifest()), mix, recipe.fineTune(seed),
          recipe.frozenLayers(), teachers(champion.manifest()), details);
    } catch (RuntimeException e) {
      net.close();
      throw e;
    }
  }

  private static TrainedModel reDistill(Recipes recipes, ModelVersion champion, ModelVersion teacher, ImageDataset mix,
      RecipeConfig recipe, int seed, Map<String, Object> details) throws dev.osprey.model.registry.ModelLoadException {
    DjlNetwork teacherNet = PublishedNetwork.load(teacher);
    TrainedModel adapted;
    try {
      adapted = recipes.adapt("teacher-adapt", teacherNet, schema(teacher.manifest()), mix, recipe.teacher(seed),
          recipe.frozenLayers(), teachers(teacher.manifest()), Map.of());
    } catch (RuntimeException e) { // e.g. cancelled by close(): the adapted copy is not made, its network is ours
      teacherNet.close();
      throw e;
    }
    try (adapted; PyTorchPredictor logits = adapted.network().newPredictor()) {
      TrainedModel student = recipes.distill(PublishedNetwork.spec(champion), mix, recipe.distill(seed),
          List.of(new Recipes.Teacher(logits, Lineage.Teacher.of(teacher.ref()))), recipe.temperature(), recipe.alpha());
      TrainingRecord r = student.record();
      Map<String, Object> all = new LinkedHashMap<>(r.details());
      all.putAll(details);
      all.put("teacherAdaptedEpochs", adapted.record().history().size());
      all.put("teacherAdaptedValidationAccuracy", adapted.record().bestValidationAccuracy());
      ModelManifest m = champion.manifest();
      // the champion's own labels; the lineage names the teacher as published, since the adapted copy
      // exists only in this run (the next gate must use a teacher that never saw the recent labels)
      return new TrainedModel(student.network(), new TrainingRecord(Strategy.RE_DISTILL.label(), r.spec(), m.input(),
          m.labels(), r.hyperparameters(), r.dataset(), r.trainCount(), r.validationCount(), r.history(), r.bestEpoch(),
          r.bestValidationAccuracy(), r.seconds(), List.of(Lineage.Teacher.of(teacher.ref())), all));
    }
  }

  private static DatasetSchema schema(ModelManifest m) {
    return new DatasetSchema(m.input(), m.labels());
  }

  private static List<Lineage.Teacher> teachers(ModelManifest m) {
    return m.lineage() == null ? List.of() : m.lineage().teachers();
  }
}

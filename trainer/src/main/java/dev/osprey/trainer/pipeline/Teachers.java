package dev.osprey.trainer.pipeline;

import dev.osprey.model.publish.PublishedNetwork;
import dev.osprey.model.registry.Lineage;
import dev.osprey.model.registry.ModelLoadException;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.registry.ModelRegistry;
import dev.osprey.model.registry.ModelVersion;
import dev.osprey.model.runtime.DjlNetwork;
import dev.osprey.model.runtime.PyTorchPredictor;
import dev.osprey.trainer.Recipes;
import dev.osprey.trainer.TrainedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The teachers of one distillation run, opened from trained directories or registry versions,
 * each with the identity the student's lineage records (the version's {@code name:version}, or the
 * directory's name and parameter hash). Closing it closes their networks.
 */
public final class Teachers implements AutoCloseable {
  private final List<DjlNetwork> networks = new ArrayList<>();
  private final List<PyTorchPredictor> predictors = new ArrayList<>();
  private final List<Recipes.Teacher> teachers = new ArrayList<>();

  /** Adds the trained directory {@code dir} as a teacher. @throws IOException if it cannot be loaded */
  public Teachers addDirectory(Path dir) throws IOException {
    TrainedModel model = TrainedModel.load(dir);
    return add(model.network(), TrainedModel.teacherIdentity(dir));
  }

  /**
   * Adds a registry version as a teacher (the latest of the name when {@code ref} has no version).
   *
   * @throws ModelLoadException if it is missing, corrupt or has no DJL network (an imported model)
   */
  public Teachers addVersion(ModelRegistry registry, ModelRef ref) throws ModelLoadException {
    ModelVersion version = registry.load(ref);
    return add(PublishedNetwork.load(version), Lineage.Teacher.of(version.ref()));
  }

  private Teachers add(DjlNetwork network, Lineage.Teacher identity) {
    networks.add(network);
    PyTorchPredictor logits = network.newPredictor();
    predictors.add(logits);
    teachers.add(new Recipes.Teacher(logits, identity));
    return this;
  }

  /** The teachers, in the order added; valid until this is closed. */
  public List<Recipes.Teacher> list() {
    return List.copyOf(teachers);
  }

  @Override
  public void close() {
    predictors.forEach(PyTorchPredictor::close);
    networks.forEach(DjlNetwork::close);
  }
}

package dev.osprey.model.serving;

import dev.osprey.core.event.ModelActivation;
import dev.osprey.model.registry.ModelManifest;
import dev.osprey.model.registry.ModelRef;
import dev.osprey.model.runtime.Predictor;
import dev.osprey.model.runtime.RuntimeKind;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model version opened in a runtime, warmed up and ready to serve, with a reference count: the
 * {@link ModelHolder} holds one reference while the model is current and every batch holds one
 * while it runs. When the last reference goes, the predictor (and whatever owns its native
 * memory) is closed, so a swap never closes a model under a running batch.
 */
public final class LoadedModel {
  private final ModelManifest manifest;
  private final Predictor predictor;
  private final AutoCloseable nativeOwner;
  private final RuntimeKind requestedRuntime;
  private final ServedPlan plan;
  private final ModelActivation activation;
  private final Instant loadedAt;
  private final dev.osprey.model.TensorNormalizer normalizer;
  private final AtomicInteger references = new AtomicInteger(1);

  /**
   * @param nativeOwner closed after the predictor (e.g. the DJL model behind a PyTorch predictor), or null
   */
  public LoadedModel(ModelManifest manifest, Predictor predictor, AutoCloseable nativeOwner, RuntimeKind requestedRuntime,
      String precision, ModelActivation activation, Instant loadedAt) {
    this(manifest, predictor, nativeOwner, requestedRuntime, ServedPlan.named(precision), activation, loadedAt);
  }

  /**
   * @param nativeOwner closed after the predictor (e.g. the DJL model behind a PyTorch predictor), or null
   * @param plan the precision plan the predictor runs and why
   */
  public LoadedModel(ModelManifest manifest, Predictor predictor, AutoCloseable nativeOwner, RuntimeKind requestedRuntime,
      ServedPlan plan, ModelActivation activation, Instant loadedAt) {
    this.manifest = manifest;
    this.predictor = predictor;
    this.nativeOwner = nativeOwner;
    this.requestedRuntime = requestedRuntime;
    this.plan = plan;
    this.activation = activation;
    this.loadedAt = loadedAt;
    this.normalizer = new dev.osprey.model.TensorNormalizer(manifest.input());
  }

  /** Normalizes sample tensors for this model (its input spec, tables made once). */
  public dev.osprey.model.TensorNormalizer normalizer() {
    return normalizer;
  }

  /** Takes a reference unless the model is already closed (then the caller must look again). */
  public boolean tryRetain() {
    for (int r = references.get(); r > 0; r = references.get()) {
      if (references.compareAndSet(r, r + 1)) {
        return true;
      }
    }
    return false;
  }

  /** Drops a reference; the last one closes the predictor and frees its native memory. */
  public void release() {
    int left = references.decrementAndGet();
    if (left == 0) {
      predictor.close();
      if (nativeOwner != null) {
        try {
          nativeOwner.close();
        } catch (Exception e) {
          throw new IllegalStateException("could not close the runtime of " + ref(), e);
        }
      }
    } else if (left < 0) {
      throw new IllegalStateException("model " + ref() + " released more often than retained");
    }
  }

  public boolean isClosed() {
    return references.get() == 0;
  }

  public ModelRef ref() {
    return manifest.ref();
  }

  public ModelManifest manifest() {
    return manifest;
  }

  public Predictor predictor() {
    return predictor;
  }

  public RuntimeKind runtime() {
    return predictor.activeRuntime();
  }

  public RuntimeKind requestedRuntime() {
    return requestedRuntime;
  }

  /** True when runtime auto was asked for and something other than TensorRT runs the model. */
  public boolean fellBack() {
    return requestedRuntime == RuntimeKind.AUTO && runtime() != RuntimeKind.ONNX_TENSORRT;
  }

  /**
   * The precision plan served ({@code fp32}, {@code int8}, {@code int8-mixed}, ...): what predictions,
   * {@code /v1/models} and the metrics report; {@link #plan()} says what was asked and why.
   */
  public String precision() {
    return plan.plan();
  }

  /** The plan served, what was asked and why. */
  public ServedPlan plan() {
    return plan;
  }

  public ModelActivation activation() {
    return activation;
  }

  public Instant loadedAt() {
    return loadedAt;
  }
}

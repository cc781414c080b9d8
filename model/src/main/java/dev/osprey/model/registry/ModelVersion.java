package dev.osprey.model.registry;

import java.nio.file.Path;

/**
 * A verified, published model version: its manifest and where its files are. Returned by
 * {@link ModelRegistry#load}, which checked every file's size and SHA-256 first.
 *
 * @param manifest the version's manifest
 * @param directory the version's directory
 */
public record ModelVersion(ModelManifest manifest, Path directory) {

  public ModelRef ref() {
    return manifest.ref();
  }

  /** Absolute path of the file of a role. @throws IllegalArgumentException if there is none */
  public Path file(String role) {
    return directory.resolve(manifest.file(role).path());
  }

  public boolean hasFile(String role) {
    return manifest.files().containsKey(role);
  }
}

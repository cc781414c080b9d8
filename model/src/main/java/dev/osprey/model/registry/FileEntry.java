package dev.osprey.model.registry;

import java.util.regex.Pattern;

/**
 * One file of a model version, as recorded in its manifest.
 *
 * @param path file name relative to the version directory (no separators)
 * @param sha256 lower-case hex SHA-256 of the file's bytes
 * @param size file size in bytes
 */
public record FileEntry(String path, String sha256, long size) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** @throws IllegalArgumentException naming the field and value when one is invalid */
  public FileEntry {
    ModelNames.requireFileName("path", path);
    if (sha256 == null || !SHA256.matcher(sha256).matches()) {
      throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits, got '" + sha256 + "'");
    }
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0, got " + size);
    }
  }
}

package dev.osprey.explain.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes PNG heatmaps to a directory and keeps only the last {@code keep} files it wrote (files it
 * did not write are never touched). Each file is written to a temporary name and moved into place,
 * so a reader never sees half a PNG. Thread-safe.
 */
public final class HeatmapStore {
  private static final Logger LOG = LoggerFactory.getLogger(HeatmapStore.class);

  private final Path dir;
  private final int keep;
  private final Deque<Path> written = new ArrayDeque<>();

  /** @throws IOException if the directory cannot be created */
  public HeatmapStore(Path dir, int keep) throws IOException {
    if (keep < 1) {
      throw new IllegalArgumentException("keep must be >= 1, got " + keep);
    }
    this.dir = Files.createDirectories(dir);
    this.keep = keep;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Writes {@code png} as {@code <name>.png}; deletes the oldest file this store wrote when more
   * than {@code keep} are there. A failure is logged, not thrown (a heatmap is a by-product).
   *
   * @param name a file name without extension, [A-Za-z0-9._-] (others become '_')
   * @return the file, or null if it could not be written
   */
  public synchronized Path write(String name, byte[] png) {
    Path file = dir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".png");
    try {
      Path tmp = Files.createTempFile(dir, ".heatmap-", ".tmp");
      Files.write(tmp, png);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      LOG.warn("cannot write heatmap {}: {}", file, e.toString());
      return null;
    }
    written.remove(file);
    written.addLast(file);
    while (written.size() > keep) {
      Path old = written.removeFirst();
      try {
        Files.deleteIfExists(old);
      } catch (IOException e) {
        LOG.warn("cannot delete old heatmap {}: {}", old, e.toString());
      }
    }
    return file;
  }

  /** Files this store wrote and still keeps, oldest first. */
  public synchronized int size() {
    return written.size();
  }
}

package dev.osprey.model.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

/**
 * A filesystem model registry. Layout: {@code <root>/<name>/<version>/manifest.json} plus the
 * version's files. Versions are positive integers per name, assigned at publish (max + 1).
 *
 * <p>Atomicity: {@link #publish} copies and hashes the files into {@code <root>/.staging-<id>/},
 * writes the manifest last, fsyncs, and makes the version visible with one atomic directory
 * rename. Readers therefore see a version completely or not at all. A crash leaves only a
 * {@code .staging-*} directory, which listing ignores and the next publish deletes.
 *
 * <p>Concurrency: version assignment and the rename happen under an exclusive lock on
 * {@code <root>/.publish.lock}, so publishers in different threads or processes never get the
 * same version. Each in-flight staging directory is guarded by a lock on its sibling
 * {@code .staging-<id>.lock}, so cleanup never removes a live publisher's files. Within one JVM,
 * prefer one registry instance per root (POSIX releases a process's file locks when any channel
 * on the file closes; the instances here only close a channel after they stop waiting on it).
 *
 * <p>Thread-safe; holds no open resources between calls.
 */
public final class ModelRegistry {
  /** File name of a version's manifest. */
  public static final String MANIFEST_FILE = "manifest.json";

  static final String STAGING_PREFIX = ".staging-";
  private static final String LOCK_SUFFIX = ".lock";
  private static final String PUBLISH_LOCK = ".publish.lock";
  private static final Pattern VERSION_DIR = Pattern.compile("[1-9][0-9]{0,8}");
  private static final Duration LOCK_TIMEOUT = Duration.ofMinutes(1);
  private static final int BUFFER = 1 << 16;

  private final Path root;
  private final Clock clock;
  private final ManifestCodec codec;

  public ModelRegistry(Path root) {
    this(root, Clock.systemUTC(), new ManifestCodec());
  }

  /**
   * @param root registry directory (created on first publish)
   * @param clock source of manifest creation times
   * @param codec manifest JSON codec
   */
  public ModelRegistry(Path root, Clock clock, ManifestCodec codec) {
    if (root == null || clock == null || codec == null) {
      throw new IllegalArgumentException("root, clock and codec must not be null");
    }
    this.root = root.toAbsolutePath().normalize();
    this.clock = clock;
    this.codec = codec;
  }

  public Path root() {
    return root;
  }

  /**
   * Publishes a draft as the next version of its name.
   *
   * @return the new version, already durable and visible
   * @throws IllegalArgumentException if the draft names a parent version that does not exist
   * @throws IOException if copying, hashing, locking or the rename fails (nothing becomes visible)
   */
  public ModelVersion publish(ModelDraft draft) throws IOException {
    Files.createDirectories(root);
    String id = UUID.randomUUID().toString();
    Path staging = root.resolve(STAGING_PREFIX + id);
    Path stagingLock = root.resolve(STAGING_PREFIX + id + LOCK_SUFFIX);
    // The lock file exists (and is locked) before the staging directory, so a staging directory
    // without a held lock belongs to a dead publisher.
    try (FileChannel lockChannel = FileChannel.open(stagingLock, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileLock ignored = lockChannel.lock()) {
      Files.createDirectory(staging);
      try {
        Map<String, FileEntry> entries = new TreeMap<>();
        for (Map.Entry<String, Path> f : draft.files().entrySet()) {
          Path source = f.getValue();
          entries.put(f.getKey(), copyAndHash(source, staging.resolve(source.getFileName().toString())));
        }
        try (PublishLock lock = acquirePublishLock()) {
          removeStaleStaging();
          int version = latest(draft.name()).orElse(0) + 1;
          if (draft.parentVersion() != null && !Files.isDirectory(versionDir(draft.name(), draft.parentVersion()))) {
            throw new IllegalArgumentException(
                "parentVersion " + draft.parentVersion() + " of " + draft.name() + " does not exist in " + root);
          }
          ModelManifest manifest = new ModelManifest(
              ModelManifest.SCHEMA_VERSION, draft.name(), version, draft.parentVersion(),
              clock.instant().truncatedTo(ChronoUnit.MILLIS), draft.architecture(), draft.input(), draft.labels(),
              entries, draft.metrics(), draft.calibration(), draft.lineage(), draft.reference(), draft.plans());
          writeDurably(staging.resolve(MANIFEST_FILE), codec.encode(manifest));
          fsyncDirectory(staging);
          Path nameDir = Files.createDirectories(root.resolve(draft.name()));
          Path target = nameDir.resolve(Integer.toString(version));
          Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
          fsyncDirectory(nameDir);
          return new ModelVersion(manifest, target);
        }
      } finally {
        if (Files.exists(staging)) {
          deleteRecursively(staging);
        }
      }
    } finally {
      Files.deleteIfExists(stagingLock);
    }
  }

  /**
   * Loads a version after checking every file's size and SHA-256 against the manifest.
   *
   * @throws ModelLoadException naming the version and file when it is missing, corrupt or incomplete
   */
  public ModelVersion load(String name, int version) throws ModelLoadException {
    ModelManifest manifest = manifest(name, version);
    Verification v = verify(manifest, versionDir(name, version));
    if (!v.ok()) {
      throw new ModelLoadException(
          "model " + v.ref() + " in " + versionDir(name, version) + " is corrupt or incomplete: "
              + String.join("; ", v.problems()));
    }
    return new ModelVersion(manifest, versionDir(name, version));
  }

  /** Loads {@code name:version}, or the latest version of {@code name} when the ref has none. */
  public ModelVersion load(ModelRef ref) throws ModelLoadException {
    if (ref.version() != null) {
      return load(ref.name(), ref.version());
    }
    OptionalInt latest = latest(ref.name());
    if (latest.isEmpty()) {
      throw new ModelLoadException("no model named '" + ref.name() + "' in registry " + root);
    }
    return load(ref.name(), latest.getAsInt());
  }

  /**
   * Reads and decodes a version's manifest without checking its files.
   *
   * @throws ModelLoadException if the version or its manifest is missing or invalid
   */
  public ModelManifest manifest(String name, int version) throws ModelLoadException {
    ModelRef ref = ModelRef.of(name, version);
    Path dir = versionDir(name, version);
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException("no model " + ref + " in registry " + root);
    }
    Path file = dir.resolve(MANIFEST_FILE);
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ModelLoadException("model " + ref + " has no " + MANIFEST_FILE + " (" + file + ")", e);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
    }
    ModelManifest manifest = codec.decode(json, "manifest of model " + ref + " (" + file + ")");
    if (!manifest.name().equals(name) || manifest.version() != version) {
      throw new ModelLoadException(
          "manifest " + file + " describes " + manifest.ref() + ", not " + ref + " (a directory was moved?)");
    }
    return manifest;
  }

  /** Checks a version on disk: manifest readable, every file present with the recorded size and hash. */
  public Verification verify(String name, int version) {
    ModelRef ref = ModelRef.of(name, version);
    try {
      return verify(manifest(name, version), versionDir(name, version));
    } catch (ModelLoadException e) {
      return new Verification(ref, 0, List.of(e.getMessage()));
    }
  }

  private Verification verify(ModelManifest manifest, Path dir) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, FileEntry> e : manifest.files().entrySet()) {
      FileEntry f = e.getValue();
      Path file = dir.resolve(f.path());
      String what = "file " + f.path() + " (role " + e.getKey() + ")";
      try {
        long size = Files.size(file);
        if (size != f.size()) {
          problems.add(what + " is " + size + " bytes, expected " + f.size() + " (truncated or replaced)");
          continue;
        }
        String actual = sha256(file);
        if (!actual.equals(f.sha256())) {
          problems.add(what + " has sha256 " + actual + ", expected " + f.sha256());
        }
      } catch (NoSuchFileException ex) {
        problems.add(what + " is missing");
      } catch (IOException ex) {
        problems.add(what + " cannot be read: " + ex.getMessage());
      }
    }
    return new Verification(manifest.ref(), manifest.files().size(), problems);
  }

  /** Every visible version, sorted by name then version. Staging directories are never listed. */
  public List<ModelRef> list() {
    List<ModelRef> out = new ArrayList<>();
    for (String name : names()) {
      for (int v : versions(name)) {
        out.add(ModelRef.of(name, v));
      }
    }
    return out;
  }

  /** Model names with at least one directory entry, sorted. */
  public List<String> names() {
    List<String> names = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return names;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path d : dirs) {
        String n = d.getFileName().toString();
        if (!n.startsWith(".") && isModelName(n)) {
          names.add(n);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list registry " + root, e);
    }
    names.sort(null);
    return names;
  }

  /** Visible versions of a name, ascending (empty when the name is unknown). */
  public List<Integer> versions(String name) {
    ModelNames.requireModelName("name", name);
    Path dir = root.resolve(name);
    List<Integer> versions = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return versions;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path d : dirs) {
        String n = d.getFileName().toString();
        if (VERSION_DIR.matcher(n).matches()) {
          versions.add(Integer.parseInt(n));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list versions of " + name + " in " + root, e);
    }
    versions.sort(null);
    return versions;
  }

  /** The highest visible version of a name, if any. */
  public OptionalInt latest(String name) {
    List<Integer> v = versions(name);
    return v.isEmpty() ? OptionalInt.empty() : OptionalInt.of(v.get(v.size() - 1));
  }

  /** Directory of a version (which may not exist). */
  public Path versionDir(String name, int version) {
    ModelRef ref = ModelRef.of(name, version);
    return root.resolve(ref.name()).resolve(Integer.toString(version));
  }

  /** Lower-case hex SHA-256 of a file. */
  public static String sha256(Path file) throws IOException {
    MessageDigest md = newSha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[BUFFER];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static boolean isModelName(String n) {
    try {
      ModelNames.requireModelName("name", n);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static FileEntry copyAndHash(Path source, Path target) throws IOException {
    MessageDigest md = newSha256();
    long size = 0;
    try (InputStream in = Files.newInputStream(source);
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      byte[] buf = new byte[BUFFER];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
        while (bb.hasRemaining()) {
          out.write(bb);
        }
        size += n;
      }
      out.force(true);
    }
    return new FileEntry(target.getFileName().toString(), HexFormat.of().formatHex(md.digest()), size);
  }

  private static void writeDurably(Path file, byte[] bytes) throws IOException {
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer bb = ByteBuffer.wrap(bytes);
      while (bb.hasRemaining()) {
        out.write(bb);
      }
      out.force(true);
    }
  }

  // Makes a directory's entries (new files, a rename) durable. Not every OS can open a directory
  // for this; where it cannot, the rename is still atomic, only not yet durable.
  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Best effort, see above.
    }
  }

  private PublishLock acquirePublishLock() throws IOException {
    Path path = root.resolve(PUBLISH_LOCK);
    FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    long deadline = System.nanoTime() + LOCK_TIMEOUT.toNanos();
    try {
      while (true) {
        FileLock lock;
        try {
          lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null; // another registry instance in this JVM holds it
        }
        if (lock != null) {
          return new PublishLock(ch, lock);
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("timed out after " + LOCK_TIMEOUT.toSeconds() + " s waiting for " + path);
        }
        LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
      }
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private record PublishLock(FileChannel channel, FileLock lock) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      try {
        lock.release();
      } finally {
        channel.close();
      }
    }
  }

  /** Deletes staging directories whose publisher is gone (its lock file is missing or unlocked). */
  private void removeStaleStaging() throws IOException {
    List<Path> stagingDirs = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, p -> Files.isDirectory(p)
        && p.getFileName().toString().startsWith(STAGING_PREFIX))) {
      dirs.forEach(stagingDirs::add);
    }
    for (Path dir : stagingDirs) {
      Path lockFile = dir.resolveSibling(dir.getFileName() + LOCK_SUFFIX);
      if (!Files.exists(lockFile)) {
        deleteRecursively(dir);
        continue;
      }
      try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
        FileLock lock;
        try {
          lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          continue; // a live publisher in this JVM
        }
        if (lock == null) {
          continue; // a live publisher in another process
        }
        try {
          deleteRecursively(dir);
          Files.deleteIfExists(lockFile);
        } finally {
          lock.release();
        }
      } catch (NoSuchFileException e) {
        // Its publisher finished in the meantime.
      }
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
        if (exc != null) {
          throw exc;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}

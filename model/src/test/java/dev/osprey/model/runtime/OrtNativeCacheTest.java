package dev.osprey.model.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache of ORT's native libraries: extracted once per ORT build, byte for byte, never stale,
 * nothing half-written left behind. (That ORT then loads them is checked in a process of its own:
 * the inference kill/restart test's service loads its model through this cache.)
 */
class OrtNativeCacheTest {
  private static final String RUNTIME = System.mapLibraryName("onnxruntime");
  private static final String JNI = System.mapLibraryName("onnxruntime4j_jni");

  @TempDir Path tmp;

  @Test
  void platformsAreNamedAsInOrtsJar() {
    assertEquals(Optional.of("linux-x64"), OrtNativeCache.platform("Linux", "amd64"));
    assertEquals(Optional.of("linux-aarch64"), OrtNativeCache.platform("Linux", "aarch64"));
    assertEquals(Optional.of("osx-aarch64"), OrtNativeCache.platform("Mac OS X", "aarch64"));
    assertEquals(Optional.of("osx-x64"), OrtNativeCache.platform("Mac OS X", "x86_64"));
    assertEquals(Optional.of("win-x64"), OrtNativeCache.platform("Windows 11", "amd64"));
    assertEquals(Optional.empty(), OrtNativeCache.platform("SunOS", "sparcv9"));
    assertEquals(Optional.empty(), OrtNativeCache.platform("Linux", "ppc64le"));
  }

  @Test
  void extractsOncePerBuildByteForByte() throws Exception {
    byte[] runtime = bytes(1, 300_000);
    byte[] jni = bytes(2, 9_000);
    Path jar = jar("ort-a.jar", Map.of(RUNTIME, runtime, JNI, jni));
    Path cache = tmp.resolve("cache");
    Path dir;
    try (URLClassLoader loader = loader(jar)) {
      dir = OrtNativeCache.locate(cache, loader, "linux-x64").orElseThrow();
    }
    assertTrue(dir.startsWith(cache.resolve("onnxruntime")), dir.toString());
    assertTrue(dir.getFileName().toString().startsWith("linux-x64-"), dir.toString());
    assertArrayEquals(runtime, Files.readAllBytes(dir.resolve(RUNTIME)));
    assertArrayEquals(jni, Files.readAllBytes(dir.resolve(JNI)));
    assertEquals(List.of(JNI, RUNTIME).stream().sorted().toList(), names(dir), "only the libraries, no partial files");

    // a second start finds them: same directory, nothing written again
    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(dir.resolve(RUNTIME), old);
    try (URLClassLoader loader = loader(jar)) {
      assertEquals(dir, OrtNativeCache.locate(cache, loader, "linux-x64").orElseThrow());
    }
    assertEquals(old, Files.getLastModifiedTime(dir.resolve(RUNTIME)));

    // a copy of the wrong size (damaged after it was written) is written again
    Files.write(dir.resolve(JNI), new byte[10]);
    try (URLClassLoader loader = loader(jar)) {
      OrtNativeCache.locate(cache, loader, "linux-x64").orElseThrow();
    }
    assertArrayEquals(jni, Files.readAllBytes(dir.resolve(JNI)));
  }

  @Test
  void anotherOrtBuildGetsADirectoryOfItsOwn() throws Exception {
    Path cache = tmp.resolve("cache");
    Path a;
    Path b;
    try (URLClassLoader loader = loader(jar("ort-a.jar", Map.of(RUNTIME, bytes(1, 5_000), JNI, bytes(2, 500))))) {
      a = OrtNativeCache.locate(cache, loader, "linux-x64").orElseThrow();
    }
    byte[] other = bytes(1, 5_000);
    other[4_000] ^= 1; // same size, other content: only the CRC tells them apart
    try (URLClassLoader loader = loader(jar("ort-b.jar", Map.of(RUNTIME, other, JNI, bytes(2, 500))))) {
      b = OrtNativeCache.locate(cache, loader, "linux-x64").orElseThrow();
    }
    assertNotEquals(a, b);
    assertArrayEquals(other, Files.readAllBytes(b.resolve(RUNTIME)));
  }

  @Test
  void unpackedLibrariesAreUsedWhereTheyAre() throws Exception {
    Path classes = tmp.resolve("classes");
    Path platformDir = classes.resolve("ai/onnxruntime/native/linux-x64");
    Files.createDirectories(platformDir);
    Files.write(platformDir.resolve(RUNTIME), bytes(3, 100));
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
      assertEquals(platformDir.toRealPath(), OrtNativeCache.locate(tmp.resolve("cache"), loader, "linux-x64")
          .orElseThrow().toRealPath());
    }
    assertTrue(Files.notExists(tmp.resolve("cache")), "nothing copied");
  }

  @Test
  void aClasspathWithoutThePlatformsLibrariesLeavesOrtToItsDefault() throws Exception {
    try (URLClassLoader loader = loader(jar("ort-a.jar", Map.of(RUNTIME, bytes(1, 100))))) {
      assertEquals(Optional.empty(), OrtNativeCache.locate(tmp.resolve("cache"), loader, "osx-aarch64"));
    }
  }

  @Test
  void ortsOwnJarIsFoundAndCopiedWhole() throws Exception {
    // the real ONNX Runtime jar on this classpath, for this host
    String platform = OrtNativeCache.platform(System.getProperty("os.name"), System.getProperty("os.arch")).orElseThrow();
    URL url = getClass().getClassLoader().getResource("ai/onnxruntime/native/" + platform + "/" + RUNTIME);
    Path dir = OrtNativeCache.locate(tmp.resolve("cache"), getClass().getClassLoader(), platform).orElseThrow();
    assertEquals(url.openConnection().getContentLengthLong(), Files.size(dir.resolve(RUNTIME)));
    assertTrue(Files.size(dir.resolve(JNI)) > 0);
    String jarPath = url.getPath().substring("file:".length(), url.getPath().indexOf("!/"));
    try (JarFile jarFile = new JarFile(jarPath)) {
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(Files.readAllBytes(dir.resolve(RUNTIME)));
      assertEquals(jarFile.getJarEntry("ai/onnxruntime/native/" + platform + "/" + RUNTIME).getCrc(), crc.getValue());
    }
  }

  private Path jar(String name, Map<String, byte[]> libraries) throws IOException {
    Path jar = tmp.resolve(name);
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      for (Map.Entry<String, byte[]> e : libraries.entrySet()) {
        j.putNextEntry(new JarEntry("ai/onnxruntime/native/linux-x64/" + e.getKey()));
        j.write(e.getValue());
        j.closeEntry();
      }
    }
    return jar;
  }

  private static URLClassLoader loader(Path jar) throws IOException {
    return new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
  }

  private static byte[] bytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

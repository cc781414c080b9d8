package dev.osprey.model.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {
  @TempDir Path tmp;

  private ModelRegistry registry() {
    return new ModelRegistry(tmp.resolve("registry"), DraftFixtures.CLOCK, new ManifestCodec());
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void publishThenLoadRoundTripsManifestAndFiles() throws Exception {
    ModelRegistry registry = registry();
    ModelDraft draft = DraftFixtures.fullDraft(tmp.resolve("src"), "mnist").build();
    ModelVersion published = registry.publish(draft);

    assertEquals(1, published.manifest().version());
    ModelVersion loaded = registry.load("mnist", 1);
    assertEquals(published.manifest(), loaded.manifest());
    ManifestCodec codec = new ManifestCodec();
    assertEquals(new String(codec.encode(published.manifest())), new String(codec.encode(loaded.manifest())));
    ModelManifest m = loaded.manifest();
    assertEquals(DraftFixtures.CLOCK.instant(), m.created());
    assertEquals(DraftFixtures.DIGITS, m.labels());
    assertEquals(0.9861, m.metric("accuracy"));
    assertEquals("percentile:99.99", m.calibration());
    assertEquals(List.of(1, 28, 28), m.input().shape());
    assertArrayEquals(new float[] {0.1307f}, m.input().mean());
    assertEquals(DraftFixtures.reference(), m.reference());
    assertEquals(List.of(800, 800), m.architecture().hyperparameters().get("hidden"));
    assertEquals(List.of(Lineage.Teacher.of(ModelRef.of("teacher", 3))), m.lineage().teachers());
    // Each file is a byte-exact copy whose recorded hash and size match an independent SHA-256.
    for (String role : List.of(FileRoles.FP32_ONNX, FileRoles.INT8_ONNX, FileRoles.PARAMS)) {
      byte[] source = Files.readAllBytes(draft.files().get(role));
      byte[] stored = Files.readAllBytes(loaded.file(role));
      assertArrayEquals(source, stored, role);
      assertEquals(sha256(source), m.file(role).sha256(), role);
      assertEquals(source.length, m.file(role).size(), role);
    }
    assertEquals(tmp.resolve("registry/mnist/1").toAbsolutePath(), loaded.directory());
    assertEquals("mlp-0005.params", loaded.file(FileRoles.PARAMS).getFileName().toString());
    assertTrue(registry.verify("mnist", 1).ok());
    assertEquals(3, registry.verify("mnist", 1).filesChecked());
  }

  @Test
  void versionsIncreasePerNameAndLatestFollows() throws Exception {
    ModelRegistry registry = registry();
    registry.publish(DraftFixtures.fullDraft(tmp.resolve("a"), "mnist").build());
    ModelVersion v2 = registry.publish(DraftFixtures.fullDraft(tmp.resolve("b"), "mnist").optParentVersion(1).build());
    registry.publish(DraftFixtures.fullDraft(tmp.resolve("c"), "fashion").build());

    assertEquals(2, v2.manifest().version());
    assertEquals(1, v2.manifest().parentVersion());
    assertEquals(List.of(1, 2), registry.versions("mnist"));
    assertEquals(OptionalInt.of(2), registry.latest("mnist"));
    assertEquals(OptionalInt.empty(), registry.latest("cifar"));
    assertEquals(
        List.of(ModelRef.of("fashion", 1), ModelRef.of("mnist", 1), ModelRef.of("mnist", 2)), registry.list());
    assertEquals(2, registry.load(ModelRef.parse("mnist")).manifest().version());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> registry.publish(DraftFixtures.fullDraft(tmp.resolve("d"), "mnist").optParentVersion(7).build()));
    assertTrue(e.getMessage().contains("parentVersion 7"), e.getMessage());
    assertEquals(List.of(1, 2), registry.versions("mnist"));
  }

  @Test
  void oneFlippedByteInTheInt8FileIsRefusedNamingTheFile() throws Exception {
    ModelRegistry registry = registry();
    ModelVersion v = registry.publish(DraftFixtures.fullDraft(tmp.resolve("src"), "mnist").build());
    Path int8 = v.file(FileRoles.INT8_ONNX);
    byte[] bytes = Files.readAllBytes(int8);
    bytes[600] ^= 0x01;
    Files.write(int8, bytes);

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> registry.load("mnist", 1));
    String expected = v.manifest().file(FileRoles.INT8_ONNX).sha256();
    assertTrue(e.getMessage().contains("file model.int8.onnx (role int8.onnx) has sha256 " + sha256(bytes)
        + ", expected " + expected), e.getMessage());
    assertTrue(e.getMessage().contains("mnist:1"), e.getMessage());
    Verification verification = registry.verify("mnist", 1);
    assertFalse(verification.ok());
    assertEquals(1, verification.problems().size(), verification.problems().toString());
  }

  @Test
  void truncatedFileIsRefusedWithItsSize() throws Exception {
    ModelRegistry registry = registry();
    ModelVersion v = registry.publish(DraftFixtures.fullDraft(tmp.resolve("src"), "mnist").build());
    try (FileChannel ch = FileChannel.open(v.file(FileRoles.FP32_ONNX), StandardOpenOption.WRITE)) {
      ch.truncate(1500);
    }
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> registry.load("mnist", 1));
    assertTrue(e.getMessage().contains("file model.fp32.onnx (role fp32.onnx) is 1500 bytes, expected 3000"),
        e.getMessage());
  }

  @Test
  void missingFileIsRefused() throws Exception {
    ModelRegistry registry = registry();
    ModelVersion v = registry.publish(DraftFixtures.fullDraft(tmp.resolve("src"), "mnist").build());
    Files.delete(v.file(FileRoles.PARAMS));
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> registry.load("mnist", 1));
    assertTrue(e.getMessage().contains("file mlp-0005.params (role params) is missing"), e.getMessage());
  }

  @Test
  void badManifestJsonAndUnknownSchemaAreRefused() throws Exception {
    ModelRegistry registry = registry();
    ModelVersion v = registry.publish(DraftFixtures.fullDraft(tmp.resolve("src"), "mnist").build());
    Path manifest = v.directory().resolve(ModelRegistry.MANIFEST_FILE);
    String json = Files.readString(manifest);

    Files.writeString(manifest, json.substring(0, json.length() / 2));
    ModelLoadException half = assertThrows(ModelLoadException.class, () -> registry.load("mnist", 1));
    assertTrue(half.getMessage().contains("is not valid JSON"), half.getMessage());

    Files.writeString(manifest, json.replace("\"schemaVersion\" : 1", "\"schemaVersion\" : 2"));
    ModelLoadException schema = assertThrows(ModelLoadException.class, () -> registry.load("mnist", 1));
    assertTrue(schema.getMessage().contains("schemaVersion 2"), schema.getMessage());

    Files.delete(manifest);
    ModelLoadException none = assertThrows(ModelLoadException.class, () -> registry.load("mnist", 1));
    assertTrue(none.getMessage().contains("has no manifest.json"), none.getMessage());

    ModelLoadException absent = assertThrows(ModelLoadException.class, () -> registry.load("mnist", 9));
    assertTrue(absent.getMessage().contains("no model mnist:9"), absent.getMessage());
  }

  @Test
  void halfWrittenStagingIsInvisibleAndCleanedUpButLiveStagingIsKept() throws Exception {
    ModelRegistry registry = registry();
    registry.publish(DraftFixtures.fullDraft(tmp.resolve("a"), "mnist").build());
    Path root = registry.root();
    // A crashed publisher: a staging dir with a partial file and a partial manifest, lock unheld.
    Path crashed = root.resolve(ModelRegistry.STAGING_PREFIX + "crashed");
    DraftFixtures.file(crashed, "model.int8.onnx", 100, 9);
    Files.writeString(crashed.resolve(ModelRegistry.MANIFEST_FILE), "{\"schemaVersion\" : 1, \"name\" : \"mn");
    Files.createFile(root.resolve(ModelRegistry.STAGING_PREFIX + "crashed.lock"));
    // A publisher still at work in this JVM: its lock is held.
    Path live = root.resolve(ModelRegistry.STAGING_PREFIX + "live");
    DraftFixtures.file(live, "model.fp32.onnx", 100, 10);
    try (FileChannel ch = FileChannel.open(root.resolve(ModelRegistry.STAGING_PREFIX + "live.lock"),
            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileLock held = ch.lock()) {
      assertEquals(List.of(ModelRef.of("mnist", 1)), registry.list());
      assertEquals(List.of("mnist"), registry.names());

      registry.publish(DraftFixtures.fullDraft(tmp.resolve("b"), "mnist").build());

      assertFalse(Files.exists(crashed), "stale staging dir should be removed");
      assertFalse(Files.exists(root.resolve(ModelRegistry.STAGING_PREFIX + "crashed.lock")));
      assertTrue(Files.exists(live.resolve("model.fp32.onnx")), "live staging dir must be kept");
      assertEquals(List.of(ModelRef.of("mnist", 1), ModelRef.of("mnist", 2)), registry.list());
    }
  }

  @Test
  void failedPublishLeavesNothingBehind() throws Exception {
    ModelRegistry registry = registry();
    ModelDraft draft = DraftFixtures.fullDraft(tmp.resolve("src"), "mnist").build();
    Files.delete(draft.files().get(FileRoles.INT8_ONNX));
    assertThrows(IOException.class, () -> registry.publish(draft));
    assertEquals(List.of(), registry.list());
    try (var entries = Files.list(registry.root())) {
      List<String> left = entries.map(p -> p.getFileName().toString()).collect(Collectors.toList());
      assertFalse(left.stream().anyMatch(n -> n.startsWith(ModelRegistry.STAGING_PREFIX)), left.toString());
    }
  }

  @Test
  void concurrentPublishersGetDistinctVersions() throws Exception {
    int perThread = 8;
    ModelDraft draft = DraftFixtures.fullDraft(tmp.resolve("src"), "mnist").build();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<List<Integer>>> futures = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        // Separate instances: the exclusion must come from the filesystem, not shared memory.
        ModelRegistry registry = registry();
        futures.add(pool.submit(() -> {
          start.await();
          List<Integer> got = new ArrayList<>();
          for (int i = 0; i < perThread; i++) {
            got.add(registry.publish(draft).manifest().version());
          }
          return got;
        }));
      }
      start.countDown();
      TreeSet<Integer> all = new TreeSet<>();
      for (Future<List<Integer>> f : futures) {
        all.addAll(f.get(60, TimeUnit.SECONDS));
      }
      assertEquals(IntStream.rangeClosed(1, 2 * perThread).boxed().collect(Collectors.toList()), new ArrayList<>(all));
    } finally {
      pool.shutdownNow();
    }
    ModelRegistry registry = registry();
    assertEquals(2 * perThread, registry.list().size());
    for (int v = 1; v <= 2 * perThread; v++) {
      assertEquals(v, registry.load("mnist", v).manifest().version());
    }
  }
}

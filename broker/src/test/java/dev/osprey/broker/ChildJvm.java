package dev.osprey.broker;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A service under test in a JVM of its own, started with the test's classpath so that it can be
 * killed with SIGKILL ({@link #kill()}: no shutdown hook, no transaction committed or aborted) and
 * another started in its place. The main class prints a line containing {@code ready} once the
 * service runs; stdout and stderr go to {@code log}.
 *
 * <p>The child runs with DJL offline ({@code -Dai.djl.offline=true}, {@code OPT_OUT_TRACKING}) and
 * gets the classpath through the CLASSPATH environment variable: ONNX Runtime 1.29.0 crashes
 * (SIGSEGV) when the java command line is longer than about 4 KB.
 */
public final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final Path log;

  private ChildJvm(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code main} with {@code args} and waits (at most {@code timeout}) until its log shows
   * {@code ready}.
   *
   * @throws AssertionError with the child's log if it exits before it is ready
   */
  public static ChildJvm start(Class<?> main, Path log, String ready, Duration timeout, String... args)
      throws IOException {
    return start(main, log, ready, timeout, List.of("-Xmx512m"), args);
  }

  /**
   * As {@link #start(Class, Path, String, Duration, String...)}, with these JVM options (e.g. a
   * smaller {@code -Xmx}) instead of {@code -Xmx512m}.
   */
  public static ChildJvm start(Class<?> main, Path log, String ready, Duration timeout, List<String> jvmOptions,
      String... args) throws IOException {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-Dai.djl.offline=true", "-Djava.awt.headless=true", main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("CLASSPATH", classpath);
    pb.environment().put("OPT_OUT_TRACKING", "true");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    ChildJvm child = new ChildJvm(pb.start(), log);
    try {
      await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
        if (!child.process.isAlive()) {
          throw new AssertionError(main.getSimpleName() + " exited with " + child.process.exitValue() + ":\n"
              + child.log());
        }
        return child.log().contains(ready);
      });
    } catch (RuntimeException | AssertionError e) {
      child.close();
      throw e;
    }
    return child;
  }

  /** SIGKILL, then waits for the process to end. */
  public void kill() throws InterruptedException, IOException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("the child JVM did not die within 30 s of SIGKILL");
    }
    if (process.exitValue() != 137) {
      throw new AssertionError("the child JVM exited with " + process.exitValue() + " before it was killed:\n" + log());
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** What the child wrote so far. */
  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

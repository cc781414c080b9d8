package dev.osprey.model.plan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a throughput figure depends on: the CPU model and the SIMD flags that pick ONNX Runtime's
 * int8 kernels (VNNI turns a u8 x s8 dot product into one instruction; without it int8 can lose to
 * fp32). Plans measured on one host are chosen again only on a host with the same key.
 *
 * @param cpuModel {@code model name} from /proc/cpuinfo ("unknown" elsewhere)
 * @param flags the subset of CPU flags that matter for ORT's CPU kernels
 * @param cores available processors
 */
public record HostProfile(String cpuModel, Set<String> flags, int cores) {
  /** Flags that change which ORT CPU kernels run, or how fast. */
  public static final List<String> RELEVANT_FLAGS = List.of(
      "sse4_1", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni",
      "avx512_bf16", "amx_int8", "amx_bf16", "asimd", "asimddp", "i8mm");

  public HostProfile {
    cpuModel = cpuModel == null || cpuModel.isBlank() ? "unknown" : cpuModel.strip();
    flags = Set.copyOf(new TreeSet<>(flags));
  }

  /** This machine, read from /proc/cpuinfo where it exists. */
  public static HostProfile current() {
    int cores = Runtime.getRuntime().availableProcessors();
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (!Files.isReadable(cpuinfo)) {
      return new HostProfile(System.getProperty("os.arch"), Set.of(), cores);
    }
    try {
      return parse(Files.readString(cpuinfo), cores);
    } catch (IOException e) {
      return new HostProfile(System.getProperty("os.arch"), Set.of(), cores);
    }
  }

  /** Parses the first processor block of a /proc/cpuinfo text. */
  static HostProfile parse(String cpuinfo, int cores) {
    String model = null;
    Set<String> flags = new TreeSet<>();
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).strip();
      if (model == null && (key.equals("model name") || key.equals("cpu model"))) {
        model = value;
      } else if (flags.isEmpty() && (key.equals("flags") || key.equals("features"))) {
        for (String f : value.split("\\s+")) {
          if (RELEVANT_FLAGS.contains(f)) {
            flags.add(f);
          }
        }
      }
    }
    return new HostProfile(model, flags, cores);
  }

  /** One string identifying hosts whose throughput figures are interchangeable. */
  public String key() {
    return cpuModel + " [" + String.join(" ", new TreeSet<>(flags)) + "] x" + cores;
  }

  public boolean hasVnni() {
    return flags.contains("avx512_vnni") || flags.contains("avx_vnni") || flags.contains("amx_int8");
  }
}

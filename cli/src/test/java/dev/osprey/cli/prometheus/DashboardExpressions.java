package dev.osprey.cli.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Every PromQL expression the repository's dashboards and alert rules ask Prometheus. */
public final class DashboardExpressions {
  /** Where it came from (file, panel or alert) and the expression. */
  public record Expression(String source, String expr) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private DashboardExpressions() {}

  /** Panel targets of every Grafana dashboard under {@code dir} (rows and nested panels included). */
  public static List<Expression> dashboards(Path dir) throws IOException {
    List<Expression> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        collectPanels(JSON.readTree(f.toFile()), f.getFileName().toString(), out);
      }
    }
    return out;
  }

  private static void collectPanels(JsonNode node, String file, List<Expression> out) {
    for (JsonNode panel : node.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        if (target.hasNonNull("expr")) {
          out.add(new Expression(file + " / " + panel.path("title").asText("?"), target.get("expr").asText()));
        }
      }
      collectPanels(panel, file, out);
    }
  }

  /** Alert and recording rule expressions of a Prometheus rule file, by rule name. */
  public static List<Expression> rules(Path file) throws IOException {
    List<Expression> out = new ArrayList<>();
    for (JsonNode group : YAML.readTree(file.toFile()).path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        String name = rule.hasNonNull("alert") ? rule.get("alert").asText() : rule.path("record").asText();
        out.add(new Expression(file.getFileName() + " / " + name, rule.path("expr").asText().strip()));
      }
    }
    return out;
  }

  /**
   * An alert expression made to return data whether it fires or not: its first top-level
   * comparison ({@code >}, {@code <}, {@code ==}, ...) becomes a {@code bool} comparison (0 or 1 per
   * series) — so "returns data" checks the series it is built from exist, and firing is checked
   * separately through {@code ALERTS}.
   */
  public static String withoutFilter(String expr) {
    int depth = 0;
    boolean quoted = false;
    for (int i = 0; i < expr.length(); i++) {
      char c = expr.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (quoted) {
        continue;
      } else if (c == '(' || c == '{' || c == '[') {
        depth++;
      } else if (c == ')' || c == '}' || c == ']') {
        depth--;
      } else if (depth == 0 && (c == '>' || c == '<' || ((c == '=' || c == '!') && i + 1 < expr.length() && expr.charAt(i + 1) == '='))) {
        int end = i + 1 < expr.length() && expr.charAt(i + 1) == '=' ? i + 2 : i + 1;
        if (expr.startsWith(" bool", end)) {
          return expr;
        }
        return expr.substring(0, end) + " bool" + expr.substring(end);
      }
    }
    return expr;
  }
}

package dev.osprey.monitor.report;

import dev.osprey.core.event.RunPhase;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Renders a {@link MonitorTimeline} as one PNG of four panels sharing the x axis (sample index):
 *
 * <ol>
 *   <li>accuracy: realized (from outcomes) and estimated (CBPE);
 *   <li>drift: each detector's statistic divided by its threshold (1 is the threshold: the
 *       detectors' statistics have different scales — KS distances, chi-squared, MMD²);
 *   <li>alarms: each detector's alarm spans as reported on {@code osprey.drift} (one row per
 *       detector), with the estimated onsets;
 *   <li>versions: the model version that served each prediction, and the retraining runs' steps
 *       (triggered, published, promoted, kept, rolled back, abandoned) at the version they concern.
 * </ol>
 *
 * Uses XChart headless ({@code java.awt.headless} is set when unset).
 */
public final class TimelineChart {
  /** Width of the image in pixels. */
  public static final int WIDTH = 1200;
  /** Height of each of the four panels in pixels. */
  public static final int PANEL_HEIGHT = 300;
  /** Panels in the image. */
  public static final int PANELS = 4;

  private TimelineChart() {}

  /** Writes the timeline as a PNG of {@link #WIDTH} × {@link #PANELS}·{@link #PANEL_HEIGHT} pixels; returns {@code png}. */
  public static Path write(MonitorTimeline timeline, Path png) throws IOException {
    Path parent = png.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (!ImageIO.write(render(timeline), "png", png.toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
    return png;
  }

  /** The four panels stacked into one image. */
  public static BufferedImage render(MonitorTimeline timeline) {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    List<XYChart> panels = List.of(accuracy(timeline), drift(timeline), alarms(timeline), versions(timeline));
    BufferedImage out = new BufferedImage(WIDTH, PANELS * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, out.getWidth(), out.getHeight());
      for (int i = 0; i < panels.size(); i++) {
        g.drawImage(BitmapEncoder.getBufferedImage(panels.get(i)), 0, i * PANEL_HEIGHT, null);
      }
    } finally {
      g.dispose();
    }
    return out;
  }

  private static XYChart chart(MonitorTimeline t, String title, String yTitle) {
    XYChart c = new XYChartBuilder().width(WIDTH).height(PANEL_HEIGHT).title(title)
        .xAxisTitle("sample index (predictions of " + t.model() + ")").yAxisTitle(yTitle).build();
    Styler s = c.getStyler();
    s.setChartBackgroundColor(Color.WHITE);
    // legends below the plots: every panel's plot then spans the same width, so the x axes line up
    s.setLegendPosition(Styler.LegendPosition.OutsideS);
    s.setLegendLayout(Styler.LegendLayout.Horizontal);
    c.getStyler().setXAxisMin(0.0);
    c.getStyler().setXAxisMax((double) Math.max(1, t.predictions() - 1));
    c.getStyler().setPlotGridLinesVisible(true);
    return c;
  }

  private static XYChart accuracy(MonitorTimeline t) {
    XYChart c = chart(t, "Accuracy: realized (outcomes) and estimated (CBPE)", "accuracy");
    c.getStyler().setYAxisMin(0.0);
    c.getStyler().setYAxisMax(1.0);
    line(c, "realized", t.realizedAccuracy().stream().map(p -> p.index()).toList(),
        t.realizedAccuracy().stream().map(p -> p.value()).toList(), new Color(31, 119, 180));
    line(c, "estimated (CBPE)", t.estimatedAccuracy().stream().map(p -> p.index()).toList(),
        t.estimatedAccuracy().stream().map(p -> p.value()).toList(), new Color(255, 127, 14));
    placeholderIfEmpty(c);
    return c;
  }

  private static XYChart drift(MonitorTimeline t) {
    XYChart c = chart(t, "Drift: statistic / calibrated threshold per detector (alarm above 1)", "statistic / threshold");
    c.getStyler().setYAxisMin(0.0);
    double max = 1.5;
    for (Map.Entry<String, List<MonitorTimeline.Score>> e : t.scores().entrySet()) {
      List<MonitorTimeline.Score> s = e.getValue();
      List<Double> ratio = s.stream().map(MonitorTimeline.Score::ratio).toList();
      max = Math.max(max, ratio.stream().mapToDouble(Double::doubleValue).max().orElse(0));
      line(c, e.getKey(), s.stream().map(MonitorTimeline.Score::index).toList(), ratio, null);
    }
    if (t.scores().isEmpty() && !t.alarms().isEmpty()) {
      // no recomputed scores: the statistic at each alarm's start, as reported
      for (String detector : t.detectors()) {
        List<MonitorTimeline.AlarmSpan> spans = t.alarms().stream().filter(a -> a.detector().equals(detector)).toList();
        List<Double> ratio = spans.stream().map(a -> a.threshold() > 0 ? a.statistic() / a.threshold() : 0).toList();
        max = Math.max(max, ratio.stream().mapToDouble(Double::doubleValue).max().orElse(0));
        XYSeries series = c.addSeries(detector + " (at alarm)", spans.stream().map(MonitorTimeline.AlarmSpan::start).toList(), ratio);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        series.setMarker(SeriesMarkers.DIAMOND);
      }
    }
    c.getStyler().setYAxisMax(Math.ceil(max * 1.1 * 2) / 2);
    line(c, "threshold", List.of(0L, Math.max(1, t.predictions() - 1)), List.of(1.0, 1.0), Color.BLACK);
    return c;
  }

  private static XYChart alarms(MonitorTimeline t) {
    XYChart c = chart(t, "Alarms on osprey.drift (one row per detector; x = estimated onset)", "detector row");
    List<String> detectors = t.detectors();
    c.getStyler().setYAxisMin(0.0);
    c.getStyler().setYAxisMax(detectors.size() + 1.0);
    long last = Math.max(1, t.predictions() - 1);
    List<Long> onsetX = new ArrayList<>();
    List<Double> onsetY = new ArrayList<>();
    for (int row = 0; row < detectors.size(); row++) {
      String detector = detectors.get(row);
      List<Long> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (MonitorTimeline.AlarmSpan a : t.alarms()) {
        if (!a.detector().equals(detector)) {
          continue;
        }
        if (!x.isEmpty()) {
          x.add(a.start());
          y.add(null); // a gap between spans
        }
        x.add(a.start());
        y.add(row + 1.0);
        x.add(a.end() < 0 ? last : Math.max(a.end(), a.start()));
        y.add(row + 1.0);
        if (a.onset() >= 0) {
          onsetX.add(a.onset());
          onsetY.add(row + 1.0);
        }
      }
      if (x.isEmpty()) {
        x.add(0L);
        y.add(null);
      }
      XYSeries s = c.addSeries((row + 1) + ": " + detector, x, y);
      s.setMarker(SeriesMarkers.NONE);
      s.setLineWidth(6f);
    }
    if (!onsetX.isEmpty()) {
      XYSeries s = c.addSeries("estimated onset", onsetX, onsetY);
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      s.setMarker(SeriesMarkers.TRIANGLE_UP);
      s.setMarkerColor(Color.BLACK);
    }
    placeholderIfEmpty(c);
    return c;
  }

  private static XYChart versions(MonitorTimeline t) {
    XYChart c = chart(t, "Model version served, and retraining runs (osprey.runs)", "version");
    List<Long> x = new ArrayList<>();
    List<Integer> y = new ArrayList<>();
    int maxVersion = 1;
    for (MonitorTimeline.VersionSpan v : t.versions()) {
      x.add(v.start());
      y.add(v.version());
      x.add(v.end());
      y.add(v.version());
      maxVersion = Math.max(maxVersion, v.version());
    }
    if (!x.isEmpty()) {
      XYSeries s = c.addSeries("serving", x, y);
      s.setMarker(SeriesMarkers.NONE);
      s.setLineWidth(3f);
      s.setLineColor(new Color(44, 160, 44));
    }
    Map<RunPhase, List<MonitorTimeline.RunMark>> byPhase = new EnumMap<>(RunPhase.class);
    for (MonitorTimeline.RunMark m : t.runs()) {
      byPhase.computeIfAbsent(m.phase(), k -> new ArrayList<>()).add(m);
      maxVersion = Math.max(maxVersion, m.version());
    }
    byPhase.forEach((phase, marks) -> {
      XYSeries s = c.addSeries("run " + label(phase), marks.stream().map(MonitorTimeline.RunMark::index).toList(),
          marks.stream().map(MonitorTimeline.RunMark::version).toList());
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      s.setMarker(switch (phase) {
        case ACTIVATED -> SeriesMarkers.TRIANGLE_UP;
        case ROLLED_BACK -> SeriesMarkers.TRIANGLE_DOWN;
        case TRIGGERED -> SeriesMarkers.CIRCLE;
        default -> SeriesMarkers.DIAMOND;
      });
    });
    c.getStyler().setYAxisMin(0.0);
    c.getStyler().setYAxisMax(maxVersion + 1.0);
    placeholderIfEmpty(c);
    return c;
  }

  private static String label(RunPhase phase) {
    return switch (phase) {
      case ACTIVATED -> "promoted";
      case ROLLED_BACK -> "rolled back";
      default -> phase.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    };
  }

  private static void line(XYChart c, String name, List<? extends Number> x, List<? extends Number> y, Color color) {
    if (x.isEmpty()) {
      return;
    }
    XYSeries s = c.addSeries(name, x, y);
    s.setMarker(SeriesMarkers.NONE);
    if (color != null) {
      s.setLineColor(color);
    }
  }

  /** XChart refuses to draw a chart without series: an empty panel says there was nothing. */
  private static void placeholderIfEmpty(XYChart c) {
    if (c.getSeriesMap().isEmpty()) {
      XYSeries s = c.addSeries("(no data)", List.of(0.0), List.of(0.0));
      s.setMarker(SeriesMarkers.NONE);
    }
  }
}

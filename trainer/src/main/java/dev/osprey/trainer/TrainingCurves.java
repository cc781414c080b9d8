package dev.osprey.trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The training curves PNG: train loss and validation accuracy per epoch, side by side. */
public final class TrainingCurves {
  private TrainingCurves() {}

  public static void save(TrainingRecord record, Path png) throws IOException {
    List<Integer> epochs = new ArrayList<>();
    List<Double> loss = new ArrayList<>();
    List<Double> trainAcc = new ArrayList<>();
    List<Double> valAcc = new ArrayList<>();
    int i = 1;
    for (EpochStats e : record.history()) {
      epochs.add(i++);
      loss.add(e.trainLoss());
      trainAcc.add(e.trainAccuracy());
      valAcc.add(Double.isNaN(e.validationAccuracy()) ? e.trainAccuracy() : e.validationAccuracy());
    }
    String title = record.spec().name() + " (" + record.recipe() + ")";
    XYChart lossChart = new XYChartBuilder().width(520).height(380).title(title + ": train loss").xAxisTitle("epoch").yAxisTitle("loss").build();
    lossChart.addSeries("train loss", epochs, loss).setMarker(SeriesMarkers.CIRCLE);
    XYChart accChart = new XYChartBuilder().width(520).height(380).title(title + ": accuracy").xAxisTitle("epoch").yAxisTitle("top-1").build();
    accChart.addSeries("train", epochs, trainAcc).setMarker(SeriesMarkers.CIRCLE);
    XYSeries val = accChart.addSeries("validation", epochs, valAcc);
    val.setMarker(SeriesMarkers.DIAMOND);
    for (XYChart c : List.of(lossChart, accChart)) {
      c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
      c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
    }
    String base = png.toString().endsWith(".png") ? png.toString().substring(0, png.toString().length() - 4) : png.toString();
    BitmapEncoder.saveBitmap(List.of(lossChart, accChart), 1, 2, base, BitmapEncoder.BitmapFormat.PNG);
  }
}

package clnet.plot;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** "How many layers?": held-out accuracy against parameter count, one point per run of a sweep. */
public final class SweepPlot {
    private SweepPlot() {
    }

    /** One run: the architecture (as given, e.g. "8,8,8"), its parameter count and its accuracy. */
    public record Run(String layers, long parameters, double accuracy) {
    }

    public static Path write(List<Run> runs, String title, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle("parameters")
                .yAxisTitle("held-out accuracy").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        chart.getStyler().setMarkerSize(10);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        Map<String, List<Run>> byLayers = new LinkedHashMap<>();
        for (Run r : runs) {
            byLayers.computeIfAbsent(r.layers(), k -> new java.util.ArrayList<>()).add(r);
        }
        for (Map.Entry<String, List<Run>> e : byLayers.entrySet()) {
            double[] x = new double[e.getValue().size()];
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = e.getValue().get(i).parameters();
                y[i] = e.getValue().get(i).accuracy();
            }
            XYSeries s = chart.addSeries("layers " + e.getKey(), x, y);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        return Png.write(Png.render(chart), file);
    }
}

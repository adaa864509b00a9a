package io.glareresolver.integrationtests.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The benchmark's charts (JFreeChart, headless PNG). */
final class BenchChart {

    private BenchChart() {
    }

    /** One throughput round: plugin on or off, call setups per second. */
    record Round(int number, boolean pluginOn, double setupsPerSecond) {
    }

    /** One bar of a rounds chart: its label under the axis and the series (server, switch) it belongs to. */
    record Bar(String label, String series, double value) {
    }

    private static final Color BLUE = new Color(0x1f77b4);
    private static final Color RED = new Color(0xd62728);
    private static final Color GREY = new Color(0x7f7f7f);
    private static final Color ORANGE = new Color(0xff7f0e);

    /**
     * Crossing resolution time as a cumulative distribution (x: milliseconds, log scale; y: share
     * of crossings resolved within x), glare resolution against the RFC 3261 back-off baseline.
     */
    static Path resolutionCdf(Path file, long[] oursSorted, long[] baselineSorted, String subtitle) throws IOException {
        Map<String, long[]> series = new LinkedHashMap<>();
        series.put("Glare Resolver (plugin on), n=" + oursSorted.length, oursSorted);
        series.put("RFC 3261 busy + back-off + retry (plugin off), n=" + baselineSorted.length, baselineSorted);
        return cdf(file, "Crossing resolution time (CDF)",
                "time from both INVITEs sent to both sides holding a final answer (ms, log scale)",
                "share of crossings resolved", series, List.of(BLUE, RED), subtitle);
    }

    /** INVITE→200 latency of each server as a cumulative distribution (nanosecond samples). */
    static Path latencyCdf(Path file, String title, Map<String, long[]> sortedByServer, String subtitle) throws IOException {
        return cdf(file, title, "INVITE sent to its 200 OK received (ms, log scale)", "share of calls",
                sortedByServer, List.of(BLUE, ORANGE), subtitle);
    }

    private static Path cdf(Path file, String title, String xLabel, String yLabel, Map<String, long[]> series,
                            List<Color> colours, String subtitle) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        series.forEach((name, sorted) -> data.addSeries(cdf(name, sorted)));
        LogAxis x = new LogAxis(xLabel);
        x.setSmallestValue(0.1);
        x.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1.0)); // one tick per decade
        x.setNumberFormatOverride(new java.text.DecimalFormat("#,##0.#"));
        NumberAxis y = new NumberAxis(yLabel);
        y.setRange(0, 1.02);
        XYStepRenderer r = new XYStepRenderer();
        for (int i = 0; i < series.size(); i++) {
            r.setSeriesPaint(i, colours.get(i % colours.size()));
            r.setSeriesStroke(i, new BasicStroke(2.5f));
        }
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return save(file, new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true), subtitle, 560);
    }

    private static XYSeries cdf(String name, long[] sorted) {
        XYSeries s = new XYSeries(name, true, true);
        int n = sorted.length;
        int step = Math.max(1, n / 2000);
        for (int i = 0; i < n; i += step) {
            s.addOrUpdate(Math.max(0.1, sorted[i] / 1e6), (double) (i + 1) / n);
        }
        if (n > 0) {
            s.addOrUpdate(Math.max(0.1, sorted[n - 1] / 1e6), 1.0);
        }
        return s;
    }

    /** Call setups per second of each interleaved round, plugin on and off. */
    static Path throughput(Path file, List<Round> rounds, String subtitle) throws IOException {
        List<Bar> bars = rounds.stream().map(r -> new Bar(r.number() + (r.pluginOn() ? " on" : " off"),
                r.pluginOn() ? "plugin on" : "plugin off", r.setupsPerSecond())).toList();
        Map<String, Color> colours = new LinkedHashMap<>();
        colours.put("plugin on", BLUE);
        colours.put("plugin off", GREY);
        return rounds(file, "Throughput, glare plugin on vs off", bars, colours, subtitle);
    }

    /** Call setups per second of each interleaved round, one colour per server. */
    static Path throughputByServer(Path file, String title, List<Bar> bars, List<String> servers, String subtitle)
            throws IOException {
        Map<String, Color> colours = new LinkedHashMap<>();
        for (int i = 0; i < servers.size(); i++) {
            colours.put(servers.get(i), i == 0 ? BLUE : ORANGE);
        }
        return rounds(file, title, bars, colours, subtitle);
    }

    private static Path rounds(Path file, String title, List<Bar> bars, Map<String, Color> colours, String subtitle)
            throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Bar b : bars) {
            data.addValue(b.value(), "call setups/s", b.label());
        }
        CategoryPlot plot = new CategoryPlot();
        plot.setDataset(data);
        plot.setDomainAxis(new org.jfree.chart.axis.CategoryAxis("interleaved rounds of equal length"));
        plot.setRangeAxis(new NumberAxis("call setups per second (INVITE-200-ACK-BYE)"));
        plot.setOrientation(PlotOrientation.VERTICAL);
        BarRenderer r = new BarRenderer() {
            @Override
            public java.awt.Paint getItemPaint(int row, int column) {
                return colours.get(bars.get(column).series()); // one bar per round, coloured by its series
            }
        };
        r.setDefaultItemLabelGenerator(new org.jfree.chart.labels.StandardCategoryItemLabelGenerator(
                "{2}", new java.text.DecimalFormat("0")));
        r.setDefaultItemLabelsVisible(true);
        r.setShadowVisible(false);
        r.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        plot.setRenderer(r);
        org.jfree.chart.LegendItemCollection legend = new org.jfree.chart.LegendItemCollection();
        colours.forEach((name, colour) -> legend.add(new org.jfree.chart.LegendItem(name, colour)));
        plot.setFixedLegendItems(legend);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return save(file, new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true), subtitle, 460);
    }

    private static Path save(Path file, JFreeChart chart, String subtitle, int height) throws IOException {
        chart.addSubtitle(new TextTitle(subtitle));
        chart.setBackgroundPaint(Color.WHITE);
        Files.createDirectories(file.getParent());
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, height);
        return file;
    }
}

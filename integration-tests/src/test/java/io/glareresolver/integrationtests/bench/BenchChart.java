package io.glareresolver.integrationtests.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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

    /**
     * Crossing resolution time as a cumulative distribution (x: milliseconds, log scale; y: share
     * of crossings resolved within x), glare resolution against the RFC 3261 back-off baseline.
     */
    static Path resolutionCdf(Path file, long[] oursSorted, long[] baselineSorted, String subtitle) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(cdf("Glare Resolver (plugin on), n=" + oursSorted.length, oursSorted));
        data.addSeries(cdf("RFC 3261 busy + back-off + retry (plugin off), n=" + baselineSorted.length, baselineSorted));
        LogAxis x = new LogAxis("time from both INVITEs sent to both sides holding a final answer (ms, log scale)");
        x.setSmallestValue(0.1);
        x.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1.0)); // one tick per decade
        x.setNumberFormatOverride(new java.text.DecimalFormat("#,##0.#"));
        NumberAxis y = new NumberAxis("share of crossings resolved");
        y.setRange(0, 1.02);
        XYStepRenderer r = new XYStepRenderer();
        r.setSeriesPaint(0, new Color(0x1f77b4));
        r.setSeriesPaint(1, new Color(0xd62728));
        r.setSeriesStroke(0, new BasicStroke(2.5f));
        r.setSeriesStroke(1, new BasicStroke(2.5f));
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart("Crossing resolution time (CDF)", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.addSubtitle(new TextTitle(subtitle));
        chart.setBackgroundPaint(Color.WHITE);
        Files.createDirectories(file.getParent());
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 560);
        return file;
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
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Round r : rounds) {
            data.addValue(r.setupsPerSecond(), "call setups/s", r.number() + (r.pluginOn() ? " on" : " off"));
        }
        CategoryPlot plot = new CategoryPlot();
        plot.setDataset(data);
        plot.setDomainAxis(new org.jfree.chart.axis.CategoryAxis("interleaved rounds of equal length"));
        plot.setRangeAxis(new NumberAxis("call setups per second (INVITE-200-ACK-BYE)"));
        plot.setOrientation(PlotOrientation.VERTICAL);
        Color on = new Color(0x1f77b4);
        Color off = new Color(0x7f7f7f);
        BarRenderer r = new BarRenderer() {
            @Override
            public java.awt.Paint getItemPaint(int row, int column) {
                return rounds.get(column).pluginOn() ? on : off; // one bar per round, coloured by the switch
            }
        };
        r.setDefaultItemLabelGenerator(new org.jfree.chart.labels.StandardCategoryItemLabelGenerator(
                "{2}", new java.text.DecimalFormat("0")));
        r.setDefaultItemLabelsVisible(true);
        r.setShadowVisible(false);
        r.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        plot.setRenderer(r);
        org.jfree.chart.LegendItemCollection legend = new org.jfree.chart.LegendItemCollection();
        legend.add(new org.jfree.chart.LegendItem("plugin on", on));
        legend.add(new org.jfree.chart.LegendItem("plugin off", off));
        plot.setFixedLegendItems(legend);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart("Throughput, glare plugin on vs off", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.addSubtitle(new TextTitle(subtitle));
        chart.setBackgroundPaint(Color.WHITE);
        Files.createDirectories(file.getParent());
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 460);
        return file;
    }
}

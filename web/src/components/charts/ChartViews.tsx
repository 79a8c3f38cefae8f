/**
 * The chart drawings, on AntV's `@ant-design/plots` (G2). Loaded only when a chart shows
 * (`React.lazy` in Charts.tsx): the library is large and most screens have no chart. Drawn as SVG
 * (`@antv/g-svg`), not canvas: the numbers are then text in the page, for the browser tests and for
 * zooming; the figure around each chart carries its text alternative (a summary and a table).
 */
import { Bar, Column, Line } from '@ant-design/plots';
import { Renderer as SvgRenderer } from '@antv/g-svg';

/** One point: the category or day shown (`x`), its number (`y`), and its series (an app) when several. */
export interface Point {
  x: string;
  y: number;
  series?: string;
}

interface ChartProps {
  data: Point[];
  /** Formats a number for its label, in the reader's language. */
  format: (n: number) => string;
  height?: number;
}

const common = (p: ChartProps) => ({
  data: p.data,
  xField: 'x',
  yField: 'y',
  height: p.height ?? 260,
  autoFit: true,
  renderer: new SvgRenderer({ outputSVGElementId: false }),
  // No entry animation: the chart is there at once (and the browser tests read it at once).
  animate: false as const,
  // Every chart counts (reads, records, grants, apps): its value axis shows whole numbers only. With
  // small counts G2's nice ticks fall between them (0.2, 0.5, …): those ticks are left out. The
  // axis starts at 0, so a bar's length is its count.
  scale: { y: { nice: true, domainMin: 0 } },
  axis: {
    y: { labelFormatter: (n: number) => p.format(n), tickFilter: (n: number) => Number.isInteger(n) },
    x: { labelAutoHide: true, labelAutoRotate: false },
  },
  label: {
    text: (d: Point) => (d.y ? p.format(d.y) : ''),
    transform: [{ type: 'overlapHide' }],
    className: 'chart-value',
  },
  tooltip: { items: [{ channel: 'y', valueFormatter: (n: number) => p.format(n) }] },
});

/** Columns per day; stacked per series when the points have one (reads per day and app). */
export function ColumnChart(p: ChartProps) {
  const stacked = p.data.some((d) => d.series !== undefined);
  return (
    <Column
      {...common(p)}
      {...(stacked ? { colorField: 'series', stack: true, legend: { color: { position: 'bottom', layout: { justifyContent: 'center' } } } } : {})}
    />
  );
}

/** A line over days (grants in force). */
export function LineChart(p: ChartProps) {
  return <Line {...common(p)} point={{ shapeField: 'circle', sizeField: 3 }} />;
}

/** Horizontal bars per category (apps by status). */
export function BarChart(p: ChartProps) {
  return <Bar {...common(p)} />;
}

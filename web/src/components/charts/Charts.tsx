import { Collapse, Typography } from 'antd';
import { lazy, Suspense, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Point } from './ChartViews.tsx';

export type { Point } from './ChartViews.tsx';

// The chart library loads with the first chart shown, not with the app (see ChartViews.tsx).
const views = () => import('./ChartViews.tsx');
const Column = lazy(() => views().then((m) => ({ default: m.ColumnChart })));
const Line = lazy(() => views().then((m) => ({ default: m.LineChart })));
const Bar = lazy(() => views().then((m) => ({ default: m.BarChart })));
const KINDS = { column: Column, line: Line, bar: Bar };

/**
 * A chart as a figure: its title and a one-sentence summary (the caption), the drawing (an image
 * named by the same sentence for screen readers), and the numbers as a table behind "Show as a
 * table". The drawing loads lazily; until then the caption and the table are already there.
 */
export function ChartFigure({
  testId,
  title,
  summary,
  kind,
  data,
  format,
  table,
  note,
  height = 260,
}: {
  testId: string;
  title: string;
  summary: string;
  kind: keyof typeof KINDS;
  data: Point[];
  format: (n: number) => string;
  table: ReactNode;
  note?: ReactNode;
  height?: number;
}) {
  const { t } = useTranslation();
  const Chart = KINDS[kind];
  return (
    <figure className="chart-figure" data-testid={testId}>
      <figcaption>
        <Typography.Text strong>{title}</Typography.Text>
        <br />
        <Typography.Text type="secondary" data-testid={`${testId}-summary`}>
          {summary}
        </Typography.Text>
        {note && (
          <>
            <br />
            <Typography.Text type="secondary">{note}</Typography.Text>
          </>
        )}
      </figcaption>
      <div role="img" aria-label={`${title}. ${summary}`} className="chart-drawing" data-testid={`${testId}-chart`} style={{ minHeight: height }}>
        <Suspense fallback={<Typography.Text type="secondary">{t('charts.loading')}</Typography.Text>}>
          <Chart data={data} format={format} height={height} />
        </Suspense>
      </div>
      <Collapse size="small" ghost items={[{ key: 'table', label: t('charts.showTable'), children: table }]} data-testid={`${testId}-table-toggle`} />
    </figure>
  );
}

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartDataset,
  type ChartOptions,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  type Plugin,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

/**
 * Charts (decision 32): Chart.js on a canvas, only the pieces the console uses registered (bar and
 * line, category and linear axes, tooltip, legend), so the bundle carries ~60 KB gzipped of it.
 * Chart.js sets the canvas's size through the CSSOM (allowed by the console's `style-src 'self'`),
 * injects no stylesheet and evaluates no code. Colours come from the stylesheet's custom
 * properties (`--chart-1` …), so the palette stays in app.css. Each chart also renders its numbers
 * as a table (the canvas's text alternative, and what a test or a screen reader reads).
 */
Chart.register(
  BarController,
  LineController,
  CategoryScale,
  LinearScale,
  BarElement,
  LineElement,
  PointElement,
  Tooltip,
  Legend,
);

export interface Series {
  readonly label: string;
  readonly data: Array<number | null>;
  /** 1-based index into the palette (`--chart-N`), default the series' position */
  readonly color?: number;
  /** draw this series as a line over bars */
  readonly line?: boolean;
  /** a second y axis on the right (another unit) */
  readonly right?: boolean;
}

export interface ChartProps {
  readonly labels: string[];
  readonly series: Series[];
  readonly type?: 'bar' | 'line';
  readonly horizontal?: boolean;
  /** what the values are (axis titles and the table's header): e.g. `users`, `CNY`, `%` */
  readonly unit?: string;
  readonly rightUnit?: string;
  readonly testid: string;
  readonly title: string;
  readonly height?: number;
  /** how the table shows a value (default: locale number) */
  readonly format?: (v: number, series: Series) => string;
}

const cssVar = (name: string, fallback: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

const PALETTE_FALLBACK = ['#2f5bd3', '#2e9d5b', '#e6a200', '#d23c3c', '#7b4fd3', '#1f9fb3'];
const colour = (i: number) => cssVar(`--chart-${i}`, PALETTE_FALLBACK[(i - 1) % PALETTE_FALLBACK.length]!);

/** Marks the canvas once Chart.js has drawn it, with the values it drew (what a test reads). */
const marker: Plugin = {
  id: 'storeflowRendered',
  afterRender(chart) {
    const canvas = chart.canvas;
    canvas.dataset.rendered = 'true';
    canvas.dataset.values = JSON.stringify(chart.data.datasets.map((d) => d.data));
    canvas.dataset.labels = JSON.stringify(chart.data.labels);
  },
};

function config(props: ChartProps) {
  const type = props.type ?? 'bar';
  const datasets = props.series.map((s, i) => {
    const c = colour(s.color ?? i + 1);
    return {
      type: s.line ? 'line' : type,
      label: s.label,
      data: s.data,
      backgroundColor: c,
      borderColor: c,
      borderWidth: s.line || type === 'line' ? 2 : 0,
      pointRadius: 3,
      yAxisID: s.right ? 'y1' : 'y',
      ...(s.line ? { order: 0 } : { order: 1 }),
    } as ChartDataset<'bar' | 'line', Array<number | null>>;
  });
  const ink = cssVar('--muted', '#6b7385');
  const grid = cssVar('--line', '#dde1e8');
  const axis = (unit: string | undefined, right = false) => ({
    beginAtZero: true,
    position: right ? ('right' as const) : ('left' as const),
    grid: { color: grid, drawOnChartArea: !right },
    ticks: { color: ink },
    title: { display: Boolean(unit), text: unit ?? '', color: ink },
  });
  const horizontal = Boolean(props.horizontal);
  const options: ChartOptions<'bar' | 'line'> = {
    indexAxis: horizontal ? 'y' : 'x',
    responsive: true,
    maintainAspectRatio: false,
    // deterministic pictures and tests: drawn once, at once
    animation: false,
    plugins: {
      legend: { display: props.series.length > 1, labels: { color: ink } },
      tooltip: { enabled: true },
    },
    scales: horizontal
      ? { x: axis(props.unit), y: { grid: { display: false }, ticks: { color: ink } } }
      : {
          x: { grid: { display: false }, ticks: { color: ink } },
          y: axis(props.unit),
          ...(props.series.some((s) => s.right) ? { y1: axis(props.rightUnit, true) } : {}),
        },
  };
  return {
    type,
    data: { labels: props.labels, datasets },
    options,
    plugins: [marker as Plugin<'bar' | 'line'>],
  };
}

const defaultFormat = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 2 });

export function ChartView(props: ChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar' | 'line', Array<number | null>> | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const c = config(props);
    if (chart.current && chart.current.canvas === canvas.current) {
      chart.current.data = c.data;
      chart.current.options = c.options;
      chart.current.update();
    } else {
      chart.current?.destroy();
      chart.current = new Chart<'bar' | 'line', Array<number | null>>(canvas.current, c);
    }
  });
  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = null;
    },
    [],
  );
  const fmt = props.format ?? defaultFormat;
  // New numbers get a new canvas: until Chart.js has drawn them there is no `data-rendered` canvas
  // (a reader never sees the previous numbers marked as drawn between a commit and the effect).
  const drawn = JSON.stringify([props.labels, props.series.map((s) => s.data)]);
  return (
    <figure class={`chart chart-h${props.height ?? 240}`} data-testid={props.testid}>
      <figcaption>{props.title}</figcaption>
      <div class="chart-canvas">
        <canvas key={drawn} ref={canvas} role="img" aria-label={props.title} />
      </div>
      <details class="chart-data">
        <summary>Numbers</summary>
        <table class="table" data-testid={`${props.testid}-table`}>
          <thead>
            <tr>
              <th />
              {props.series.map((s) => (
                <th key={s.label}>{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.labels.map((label, i) => (
              <tr key={label}>
                <th>{label}</th>
                {props.series.map((s) => {
                  const v = s.data[i];
                  return (
                    <td key={s.label} class="num">
                      {v === null || v === undefined ? '—' : fmt(v, s)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

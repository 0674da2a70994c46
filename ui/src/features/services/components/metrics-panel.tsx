import type { ServiceMetricsDto } from '@dangus/common';
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { Alert, Section } from '../../../components/ui';
import { useServiceMetrics } from '../api/services';
import { PanelError } from './unavailable';

/** Lines of the pods, in turn; the limit is drawn dashed in the warning colour. */
const POD_COLOURS = ['--accent', '--ok', '--warn', '--idle', '--bad'];

function cssColour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

interface ChartSpec {
  title: string;
  /** The figure of one pod in one sample. */
  value: (pod: ServiceMetricsDto['samples'][number]['pods'][number]) => number;
  limit: number;
  format: (value: number) => string;
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MiB`;
const millicores = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(2)} CPU` : `${m.toFixed(m < 10 ? 1 : 0)}m`);

/** uPlot's columns: time, then one series per pod (null where the pod had no figure), then the limit. */
function columns(metrics: ServiceMetricsDto, spec: ChartSpec): { pods: string[]; data: uPlot.AlignedData } {
  const pods = [...new Set(metrics.samples.flatMap((s) => s.pods.map((p) => p.pod)))].sort();
  const times = metrics.samples.map((s) => Date.parse(s.at) / 1000);
  const series = pods.map((name) =>
    metrics.samples.map((s) => {
      const pod = s.pods.find((p) => p.pod === name);
      return pod ? spec.value(pod) : null;
    }),
  );
  return { pods, data: [times, ...series, times.map(() => spec.limit)] };
}

function Chart({ metrics, spec }: { metrics: ServiceMetricsDto; spec: ChartSpec }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { pods, data } = useMemo(() => columns(metrics, spec), [metrics, spec]);
  const latestData = useRef(data);
  latestData.current = data;
  // A new chart when the pods or the limit change; otherwise only new data (below).
  const shape = `${pods.join(',')}|${String(spec.limit)}`;
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const axis = { stroke: cssColour('--muted'), grid: { stroke: cssColour('--line'), width: 1 }, ticks: { stroke: cssColour('--line') } };
    const names = shape.split('|')[0]?.split(',').filter(Boolean) ?? [];
    const chart = new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height: 150,
        legend: { show: false },
        cursor: { y: false },
        scales: { y: { range: (_u, _min, max) => [0, Math.max(max, spec.limit) * 1.05] } },
        axes: [axis, { ...axis, size: 70, values: (_u, ticks) => ticks.map(spec.format) }],
        series: [
          {},
          ...names.map((name, i) => ({ label: name, stroke: cssColour(POD_COLOURS[i % POD_COLOURS.length] ?? '--accent'), width: 2 })),
          { label: 'limit', stroke: cssColour('--bad'), width: 1, dash: [6, 4], points: { show: false } },
        ],
      },
      latestData.current,
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(240, el.clientWidth), height: 150 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [shape, spec]);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  const latest = metrics.samples.at(-1)?.pods ?? [];
  const now = latest.reduce((sum, pod) => sum + spec.value(pod), 0);
  return (
    <figure className="space-y-1">
      <figcaption className="flex items-baseline justify-between text-sm">
        <span className="font-medium">{spec.title}</span>
        <span className="font-mono text-muted">
          {latest.length > 0 ? `${spec.format(now / latest.length)} per pod` : 'no figure yet'} · limit {spec.format(spec.limit)}
        </span>
      </figcaption>
      <div ref={box} role="img" aria-label={`${spec.title} of ${String(pods.length)} pod(s) over the last hour, limit ${spec.format(spec.limit)}`} />
    </figure>
  );
}

/**
 * CPU and memory of the service's pods over the last hour, each pod a line and its limit
 * dashed; looking at the page keeps the platform sampling. Says so when the cluster has
 * no metrics API.
 */
export function MetricsPanel({ serviceId }: { serviceId: string }) {
  const metrics = useServiceMetrics(serviceId, true);
  // Stable across polls (only the limits matter), so a chart is drawn once and then fed new data.
  const cpuLimit = metrics.data?.limits.cpuMillicores ?? 0;
  const memoryLimit = metrics.data?.limits.memoryBytes ?? 0;
  const specs = useMemo<ChartSpec[]>(
    () => [
      { title: 'CPU', value: (p) => p.cpuMillicores, limit: cpuLimit, format: millicores },
      { title: 'Memory', value: (p) => p.memoryBytes, limit: memoryLimit, format: mib },
    ],
    [cpuLimit, memoryLimit],
  );
  return (
    <Section id="metrics" title="Metrics" description="CPU and memory of each pod over the last hour, sampled while this page is open.">
      {metrics.error ? <PanelError error={metrics.error} what="Metrics" /> : null}
      {metrics.data && !metrics.data.available ? (
        <Alert tone="info" title="No CPU and memory figures">
          {metrics.data.reason ?? 'The metrics API gave none.'}
        </Alert>
      ) : null}
      {metrics.data?.available ? (
        metrics.data.samples.some((s) => s.pods.length > 0) ? (
          <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
            {specs.map((spec) => (
              <Chart key={spec.title} metrics={metrics.data} spec={spec} />
            ))}
          </div>
        ) : (
          <p className="text-sm text-muted">Waiting for the first figures (the metrics API has none for this service's pods yet).</p>
        )
      ) : null}
    </Section>
  );
}

// A bar chart drawn as SVG (no chart library): one bar per day, labelled axes, and a title
// and description for assistive technology; the table under it holds the same numbers.
interface Bar {
  label: string;
  value: number;
}

const W = 640;
const H = 220;
const PAD = { left: 64, right: 12, top: 12, bottom: 40 };

export function BarChart(props: { id: string; title: string; bars: Bar[]; format: (v: number) => string }) {
  const { id, title, bars, format } = props;
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(bars.length, 1);
  const width = Math.max(4, Math.min(48, step * 0.7));
  const ticks = [0, 0.5, 1].map((f) => f * max);
  const summary = bars.map((b) => `${b.label}: ${format(b.value)}`).join("; ");
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-d`}>
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{summary || "no data"}</desc>
        {ticks.map((t) => {
          const y = PAD.top + plotH - (t / max) * plotH;
          return (
            <g key={t} class="tick">
              <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} />
              <text x={PAD.left - 6} y={y + 4} text-anchor="end">{format(t)}</text>
            </g>
          );
        })}
        {bars.map((b, i) => {
          const h = (b.value / max) * plotH;
          const x = PAD.left + i * step + (step - width) / 2;
          return (
            <g key={b.label} class="bar">
              <rect x={x} y={PAD.top + plotH - h} width={width} height={h}>
                <title>{`${b.label}: ${format(b.value)}`}</title>
              </rect>
              <text x={x + width / 2} y={H - PAD.bottom + 16} text-anchor="middle">{b.label.slice(5)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

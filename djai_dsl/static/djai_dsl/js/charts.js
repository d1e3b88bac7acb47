// A chart when the result's shape suits one, drawn with the vendored Chart.js (loaded on
// first use from the app's static files: no CDN, works offline).
//
//   time bucket (date/datetime) + numbers  -> line, one series per number column
//   one category + one number              -> bar
//
// Colours come from admin's CSS variables, so the chart follows the light/dark theme, and
// it is redrawn when the theme changes.

import { NUMERIC, TEMPORAL } from "./format.js";

export const MAX_POINTS = 500;
const MAX_SERIES = 4;

/** {kind: "line"|"bar", x: index, series: [indexes]} or null when no chart fits. */
export function chartShape(columns, rows) {
  if (!columns || columns.length < 2 || !rows || rows.length < 2 || rows.length > MAX_POINTS) {
    return null;
  }
  const [first, ...rest] = columns;
  const restNumeric = rest.every((c) => NUMERIC.has(c.type));
  if (TEMPORAL.has(first.type) && restNumeric && rest.length <= MAX_SERIES) {
    return { kind: "line", x: 0, series: rest.map((_, i) => i + 1) };
  }
  if (columns.length === 2 && !NUMERIC.has(first.type) && !TEMPORAL.has(first.type) && restNumeric) {
    return { kind: "bar", x: 0, series: [1] };
  }
  return null;
}

let loading = null;
/** window.Chart, loading the script once. */
export function loadChartLibrary(url) {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Chart);
      script.onerror = () => {
        loading = null;
        reject(new Error("The chart library could not be loaded."));
      };
      document.head.append(script);
    });
  }
  return loading;
}

function themeColors() {
  const style = getComputedStyle(document.documentElement);
  const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return {
    fg: read("--body-quiet-color", "#666"),
    grid: read("--hairline-color", "#e8e8e8"),
    series: [
      read("--link-fg", "#417893"),
      read("--error-fg", "#ba2121"),
      read("--accent", "#f5dd5d"),
      read("--body-medium-color", "#444"),
    ],
  };
}

/** Points in x order: a line is read left to right, whatever the answer's sort. */
function points(shape, rows) {
  const out = rows.filter((r) => r[shape.x] !== null && r[shape.x] !== undefined);
  if (shape.kind === "line") out.sort((a, b) => (String(a[shape.x]) < String(b[shape.x]) ? -1 : 1));
  return out;
}

function config(Chart, shape, columns, rows, formatter) {
  const colors = themeColors();
  const x = columns[shape.x];
  const ordered = points(shape, rows);
  const labels = ordered.map((r) => formatter.cell(r[shape.x], x).text);
  const datasets = shape.series.map((index, n) => {
    const color = colors.series[n % colors.series.length];
    return {
      label: columns[index].label || columns[index].name,
      data: ordered.map((r) => formatter.chartNumber(r[index])),
      borderColor: color,
      backgroundColor: shape.kind === "bar" ? color : "transparent",
      pointRadius: ordered.length > 60 ? 0 : 3,
      tension: 0,
    };
  });
  const axis = { ticks: { color: colors.fg }, grid: { color: colors.grid } };
  const numberTick = (value) => formatter.numberFormat({ maximumFractionDigits: 2 }).format(value);
  return {
    type: shape.kind,
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: datasets.length > 1, labels: { color: colors.fg } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const column = columns[shape.series[item.datasetIndex]];
              const raw = ordered[item.dataIndex][shape.series[item.datasetIndex]];
              return `${item.dataset.label}: ${formatter.cell(raw, column).text}`;
            },
          },
        },
      },
      scales: {
        x: axis,
        y: { ...axis, beginAtZero: true, ticks: { ...axis.ticks, callback: numberTick } },
      },
    },
  };
}

const live = new Set();

/** Draw (or redraw) the chart on ``canvas``; returns the Chart instance. */
export function drawChart(Chart, canvas, shape, columns, rows, formatter) {
  const existing = Chart.getChart(canvas);
  if (existing) {
    existing.destroy();
    live.delete(existing);
  }
  const chart = new Chart(canvas, config(Chart, shape, columns, rows, formatter));
  chart.$djai = { shape, columns, rows, formatter };
  live.add(chart);
  return chart;
}

function redrawAll() {
  for (const chart of [...live]) {
    if (!chart.canvas || !chart.canvas.isConnected) {
      live.delete(chart);
      continue;
    }
    const { shape, columns, rows, formatter } = chart.$djai;
    drawChart(window.Chart, chart.canvas, shape, columns, rows, formatter);
  }
}

// Admin's theme toggle sets html[data-theme]; "auto" follows the system setting.
new MutationObserver(redrawAll).observe(document.documentElement, {
  attributes: true,
  attributeFilter: ["data-theme"],
});
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redrawAll);

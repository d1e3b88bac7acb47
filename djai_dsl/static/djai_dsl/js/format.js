// Cell values as people read them: numbers and dates in the browser's locale, date-times in
// the browser's time zone (the API already sent them in that zone, as client_context asked).
// Time buckets ("month of created at") are shown as the period they stand for.

export const NUMERIC = new Set(["integer", "decimal", "float", "duration"]);
export const TEMPORAL = new Set(["date", "datetime"]);
const UNITS = ["hour", "day", "week", "month", "quarter", "year"];
const BUCKET_LABEL = new RegExp(`^(${UNITS.join("|")}) of `);
const BUCKET_NAME = new RegExp(`_(${UNITS.join("|")})$`);

/** The bucket unit of a time-bucket column ("month"), or null. */
export function bucketUnit(column) {
  if (!TEMPORAL.has(column.type)) return null;
  const match = BUCKET_LABEL.exec(column.label || "") || BUCKET_NAME.exec(column.name || "");
  return match ? match[1] : null;
}

export class Formatter {
  constructor(locale, timeZone) {
    this.locale = locale;
    this.timeZone = timeZone;
    this.cache = new Map();
  }

  numberFormat(options) {
    const key = JSON.stringify(options);
    if (!this.cache.has(key)) this.cache.set(key, new Intl.NumberFormat(this.locale, options));
    return this.cache.get(key);
  }

  dateFormat(options) {
    const key = "d" + JSON.stringify(options);
    if (!this.cache.has(key)) this.cache.set(key, new Intl.DateTimeFormat(this.locale, options));
    return this.cache.get(key);
  }

  /** A whole number as a count ("1,234"). */
  count(n) {
    return this.numberFormat({ maximumFractionDigits: 0 }).format(n);
  }

  /** {text, title?} of one cell; text is what the table shows. */
  cell(value, column) {
    if (value === null || value === undefined) return { text: null };
    switch (column.type) {
      case "integer":
        return { text: this.numberFormat({ maximumFractionDigits: 0 }).format(value) };
      case "decimal":
        return { text: this.decimal(value), title: String(value) };
      case "float":
        return { text: this.float(value), title: String(value) };
      case "duration":
        return { text: this.duration(Number(value)), title: `${value} s` };
      case "date":
        return { text: this.date(value, bucketUnit(column)), title: String(value) };
      case "datetime":
        return { text: this.datetime(value, bucketUnit(column)), title: String(value) };
      case "json":
        return { text: JSON.stringify(value) };
      default:
        return { text: String(value) };
    }
  }

  /** A number for a chart axis (decimals arrive as exact strings). */
  chartNumber(value) {
    if (value === null || value === undefined) return null;
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }

  decimal(value) {
    // Keep the scale the server sent ("12.50" stays two places); Intl formats the string
    // exactly, without a trip through floating point.
    const text = String(value);
    if (!/^-?\d+(\.\d+)?$/.test(text)) return text; // "NaN", "Infinity"
    const places = (text.split(".")[1] || "").length;
    return this.numberFormat({ minimumFractionDigits: places, maximumFractionDigits: places })
      .format(text);
  }

  float(value) {
    const n = Number(value);
    if (!Number.isFinite(n)) return String(value);
    const places = Math.abs(n) >= 1 || n === 0 ? 2 : 4;
    return this.numberFormat({ maximumFractionDigits: places }).format(n);
  }

  duration(seconds) {
    if (!Number.isFinite(seconds)) return String(seconds);
    const sign = seconds < 0 ? "-" : "";
    let s = Math.abs(Math.round(seconds));
    const days = Math.floor(s / 86400);
    s -= days * 86400;
    const hh = String(Math.floor(s / 3600)).padStart(2, "0");
    const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
    const ss = String(s % 60).padStart(2, "0");
    return `${sign}${days ? this.count(days) + " d " : ""}${hh}:${mm}:${ss}`;
  }

  /** A calendar date ("2026-05-01"), or the period of a bucket that starts on it. */
  date(value, unit = null) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
    if (!match) return String(value);
    const [, y, m, d] = match.map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    const utc = { timeZone: "UTC" };
    switch (unit) {
      case "year":
        return this.dateFormat({ ...utc, year: "numeric" }).format(day);
      case "quarter":
        return `Q${Math.floor((m - 1) / 3) + 1} ${this.dateFormat({ ...utc, year: "numeric" }).format(day)}`;
      case "month":
        return this.dateFormat({ ...utc, year: "numeric", month: "short" }).format(day);
      case "week":
        return `Week of ${this.dateFormat({ ...utc, dateStyle: "medium" }).format(day)}`;
      default:
        return this.dateFormat({ ...utc, dateStyle: "medium" }).format(day);
    }
  }

  /** An ISO date-time with offset, shown in the browser's time zone. */
  datetime(value, unit = null) {
    const when = new Date(String(value));
    if (Number.isNaN(when.getTime())) return String(value);
    const zone = { timeZone: this.timeZone };
    if (unit === "hour") {
      // dateStyle cannot be combined with hour/minute: spell the parts out.
      const parts = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
      return this.dateFormat({ ...zone, ...parts }).format(when);
    }
    return this.dateFormat({ ...zone, dateStyle: "medium", timeStyle: "short" }).format(when);
  }
}

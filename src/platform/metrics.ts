/**
 * A small metrics registry with Prometheus text exposition (format 0.0.4). Each service gets a
 * scope whose metric names are prefixed `nimbus_<service>_`. Gauges may be functions, read at
 * scrape time, so hot paths only bump counters.
 */
export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(value?: number, labels?: Labels): void;
}
export interface Gauge {
  set(value: number, labels?: Labels): void;
  inc(value?: number, labels?: Labels): void;
  dec(value?: number, labels?: Labels): void;
}

export interface MetricsScope {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  /** A gauge computed when scraped. */
  gaugeFn(name: string, help: string, read: () => number | ReadonlyArray<[Labels, number]>): void;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
  read?: () => number | ReadonlyArray<[Labels, number]>;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return '{' + keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',') + '}';
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();

  scope(prefix: string): MetricsScope {
    const full = (n: string): string => `${prefix}${n}`;
    return {
      counter: (name, help) => {
        const f = this.family(full(name), help, 'counter');
        return { inc: (value = 1, labels) => this.add(f, labels, value) };
      },
      gauge: (name, help) => {
        const f = this.family(full(name), help, 'gauge');
        return {
          set: (value, labels) => {
            f.values.set(labelKey(labels), { labels: labels ?? {}, value });
          },
          inc: (value = 1, labels) => this.add(f, labels, value),
          dec: (value = 1, labels) => this.add(f, labels, -value),
        };
      },
      gaugeFn: (name, help, read) => {
        const f = this.family(full(name), help, 'gauge');
        f.read = read;
      },
    };
  }

  /** Renders every family in Prometheus text format. */
  render(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\n/g, ' ')}`, `# TYPE ${f.name} ${f.type}`);
      if (f.read) {
        let r: number | ReadonlyArray<[Labels, number]>;
        try {
          r = f.read();
        } catch {
          continue;
        }
        if (typeof r === 'number') out.push(`${f.name} ${formatValue(r)}`);
        else for (const [labels, v] of r) out.push(`${f.name}${formatLabels(labels)} ${formatValue(v)}`);
        continue;
      }
      if (f.values.size === 0 && f.type === 'counter') out.push(`${f.name} 0`);
      for (const { labels, value } of f.values.values()) {
        out.push(`${f.name}${formatLabels(labels)} ${formatValue(value)}`);
      }
    }
    return out.join('\n') + '\n';
  }

  private family(name: string, help: string, type: Family['type']): Family {
    if (!NAME_RE.test(name)) throw new Error(`invalid metric name ${name}`);
    const existing = this.families.get(name);
    if (existing) {
      if (existing.type !== type) throw new Error(`metric ${name} registered as ${existing.type}`);
      return existing;
    }
    const f: Family = { name, help, type, values: new Map() };
    this.families.set(name, f);
    return f;
  }

  private add(f: Family, labels: Labels | undefined, delta: number): void {
    const k = labelKey(labels);
    const cur = f.values.get(k);
    if (cur) cur.value += delta;
    else f.values.set(k, { labels: labels ?? {}, value: delta });
  }
}

/**
 * Configuration in layers, later ones winning: schema defaults, then `nimbus.yaml` (or --config),
 * then NIMBUS_* environment variables, then CLI flags. Every leaf remembers where its value came
 * from, so `nimbus config` can say. Validation uses each service's zod schema; an error names the
 * key, the bad value, where it came from, and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { z } from 'zod/v3';
import { ConfigError } from './errors.js';
import type { ServiceDefinition } from './service.js';

export const hostConfigSchema = z.object({
  /** Address every listener binds. */
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('./.nimbus'),
  ephemeral: z.boolean().default(false),
  /** Services to run; empty means all. */
  services: z.array(z.string()).default([]),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** What the host does when one service fails to start: stop everything and exit, or keep the rest. */
  onServiceFailure: z.enum(['exit', 'continue']).default('exit'),
  /** How long one service may take to stop before the host moves on. */
  stopTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
});
export type HostConfig = z.infer<typeof hostConfigSchema>;

export type Source = 'default' | `file ${string}` | `env ${string}` | `flag ${string}` | 'api';

export interface LoadedConfig {
  host: HostConfig;
  services: Record<string, unknown>;
  /** Dotted key → where its value came from (keys never set default to 'default'). */
  sources: Map<string, Source>;
  /** The config file read, if any. */
  file: string | null;
}

export interface ConfigInput {
  /** Explicit --config path: must exist. */
  configPath?: string;
  /** Working directory for the default ./nimbus.yaml lookup. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Dotted keys → values from CLI flags, with the flag's name for provenance. */
  flags?: Array<{ key: string; value: unknown; flag: string }>;
  /** Overrides from the programmatic API, applied last. */
  overrides?: Record<string, unknown>;
}

type Tree = Record<string, unknown>;

function isPlainObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** Sets a dotted key in a tree, creating objects on the way. */
function setPath(tree: Tree, path: string[], value: unknown): void {
  let cur = tree;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i] as string;
    const next = cur[k];
    if (!isPlainObject(next)) cur[k] = {};
    cur = cur[k] as Tree;
  }
  cur[path[path.length - 1] as string] = value;
}

function getPath(tree: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur = tree;
  for (const k of path) {
    if (!isPlainObject(cur) && !Array.isArray(cur)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** Merges `layer` into `tree`, recording `source` for each leaf it sets. */
function mergeLayer(
  tree: Tree,
  layer: Tree,
  source: Source,
  sources: Map<string, Source>,
  prefix: string[] = [],
): void {
  // Iterative walk: config files are user input, so no recursion on their depth.
  const stack: Array<{ from: Tree; path: string[] }> = [{ from: layer, path: prefix }];
  while (stack.length > 0) {
    const { from, path } = stack.pop() as { from: Tree; path: string[] };
    for (const [k, v] of Object.entries(from)) {
      const p = [...path, k];
      if (isPlainObject(v) && p.length < 8) stack.push({ from: v, path: p });
      else {
        setPath(tree, p, v);
        sources.set(p.join('.'), source);
      }
    }
  }
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[-_]/g, '');
}

function shapeKeys(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/** The YAML parser, loaded only when a config file exists (it costs start-up time). */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text, { maxAliasCount: 100 });
}

/** Env values are typed like YAML scalars: `6379` is a number, `true` a boolean, the rest strings. */
function parseEnvValue(raw: string): unknown {
  const v = raw.trim();
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  return raw;
}

/**
 * NIMBUS_REDIS_PORT → redis.port; NIMBUS_DATA_DIR → dataDir; NIMBUS_REDIS_MAXMEMORY_POLICY →
 * redis.maxmemoryPolicy (matched against the schema's keys, ignoring case, '-' and '_').
 */
function envLayer(
  env: NodeJS.ProcessEnv,
  defs: readonly ServiceDefinition[],
): Array<[string[], unknown, string]> {
  const out: Array<[string[], unknown, string]> = [];
  const hostKeys = shapeKeys(hostConfigSchema);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('NIMBUS_') || raw === undefined) continue;
    const rest = normalize(name.slice('NIMBUS_'.length));
    const hostKey = hostKeys.find((k) => normalize(k) === rest);
    if (hostKey) {
      const value = hostKey === 'services' ? raw.split(',').filter(Boolean) : parseEnvValue(raw);
      out.push([[hostKey], value, name]);
      continue;
    }
    for (const def of defs) {
      const svc = normalize(def.name);
      if (!rest.startsWith(svc)) continue;
      const key = shapeKeys(def.configSchema).find((k) => normalize(k) === rest.slice(svc.length));
      if (key) out.push([[def.name, key], parseEnvValue(raw), name]);
    }
  }
  return out;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function describeIssue(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_enum_value':
      return `expected one of ${issue.options.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_literal':
      return `expected ${JSON.stringify(issue.expected)}`;
    case 'too_small':
      return `expected ${issue.type === 'string' ? 'length ' : ''}>= ${String(issue.minimum)}`;
    case 'too_big':
      return `expected ${issue.type === 'string' ? 'length ' : ''}<= ${String(issue.maximum)}`;
    case 'unrecognized_keys':
      return `unknown key(s) ${issue.keys.join(', ')}`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.multipleOf)}`;
    default:
      return issue.message;
  }
}

function validate<T>(
  schema: z.ZodType<T, z.ZodTypeDef, unknown>,
  raw: unknown,
  prefix: string[],
  sources: Map<string, Source>,
  errors: string[],
): T | undefined {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return r.data;
  for (const issue of r.error.issues) {
    const path = [...prefix, ...issue.path.map(String)];
    const key = path.join('.') || '(root)';
    const value = getPath(raw, issue.path);
    const from = sources.get(key);
    const origin = from && from !== 'default' ? ` (from ${from})` : '';
    errors.push(`config key ${key}: got ${describeValue(value)}${origin}, ${describeIssue(issue)}`);
  }
  return undefined;
}

export function loadConfig(defs: readonly ServiceDefinition[], input: ConfigInput = {}): LoadedConfig {
  const sources = new Map<string, Source>();
  const tree: Tree = {};
  const cwd = input.cwd ?? process.cwd();

  let file: string | null = null;
  if (input.configPath) {
    file = resolve(cwd, input.configPath);
    if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
  } else {
    for (const name of ['nimbus.yaml', 'nimbus.yml']) {
      const candidate = resolve(cwd, name);
      if (existsSync(candidate)) {
        file = candidate;
        break;
      }
    }
  }
  if (file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined && !isPlainObject(parsed))
      throw new ConfigError(`config file ${file} must hold a mapping of keys to values`);
    if (parsed) mergeLayer(tree, parsed, `file ${file}`, sources);
  }

  for (const [path, value, name] of envLayer(input.env ?? process.env, defs)) {
    setPath(tree, path, value);
    sources.set(path.join('.'), `env ${name}`);
  }
  for (const { key, value, flag } of input.flags ?? []) {
    setPath(tree, key.split('.'), value);
    sources.set(key, `flag ${flag}`);
  }
  if (input.overrides) mergeLayer(tree, input.overrides, 'api', sources);

  const errors: string[] = [];
  const known = new Set([
    'host',
    'dataDir',
    'ephemeral',
    'services',
    'logLevel',
    'logFormat',
    'onServiceFailure',
    'stopTimeoutMs',
  ]);
  const serviceNames = new Set(defs.map((d) => d.name));
  for (const k of Object.keys(tree)) {
    if (known.has(k) || serviceNames.has(k)) continue;
    const from = [...sources].find(([key]) => key === k || key.startsWith(`${k}.`))?.[1];
    errors.push(
      `config key ${k}${from ? ` (from ${from})` : ''}: unknown; expected one of ${[...known, ...serviceNames].join(', ')}`,
    );
  }
  const hostRaw: Tree = {};
  for (const k of known) if (k in tree) hostRaw[k] = tree[k];
  const host = validate(hostConfigSchema, hostRaw, [], sources, errors);
  for (const name of host?.services ?? []) {
    if (!serviceNames.has(name))
      errors.push(
        `config key services: got ${JSON.stringify(name)}, expected one of ${[...serviceNames].join(', ')}`,
      );
  }
  const services: Record<string, unknown> = {};
  for (const def of defs) {
    const v = validate(def.configSchema, tree[def.name], [def.name], sources, errors);
    if (v !== undefined) services[def.name] = v;
  }
  if (errors.length > 0 || !host) throw new ConfigError(errors.join('\n'));
  return { host, services, sources, file };
}

/** Flattens the effective config into [dotted key, value, source] rows for `nimbus config`. */
export function describeConfig(cfg: LoadedConfig): Array<{ key: string; value: unknown; source: Source }> {
  const rows: Array<{ key: string; value: unknown; source: Source }> = [];
  const walk = (v: unknown, path: string[]): void => {
    if (isPlainObject(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child, [...path, k]);
      return;
    }
    const key = path.join('.');
    rows.push({ key, value: v, source: cfg.sources.get(key) ?? 'default' });
  };
  walk({ ...cfg.host, ...cfg.services }, []);
  return rows;
}

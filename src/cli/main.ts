/**
 * The `nimbus` command. `nimbus up` starts the host and prints the endpoints (or one JSON line with
 * --json); `status`, `config` and `version` inspect; services add their own subcommands.
 */
import { Command, Option } from 'commander';
import { GatewayRouter } from '../gateway/router.js';
import { describeConfig, loadConfig } from '../platform/config.js';
import { NimbusError } from '../platform/errors.js';
import { allDefinitions, startNimbus, VERSION, type Nimbus } from '../nimbus.js';
import { registerServiceCommands } from './service-commands.js';

const EXAMPLES = `
Examples:
  $ nimbus up                                  start every service with the defaults
  $ nimbus up --services redis,kafka           start only Redis and Kafka (and the gateway)
  $ nimbus up --ephemeral --redis-port 0 --json   throwaway data, a free port, one JSON line
  $ nimbus status                              ask a running host what it runs
  $ nimbus config --redis-port 6380            show the effective config and where each value came from
  $ nimbus kafka topics --list                 service subcommands (see nimbus kafka --help)

Configuration layers, later ones winning: defaults, nimbus.yaml (or --config), NIMBUS_* environment
variables (NIMBUS_REDIS_PORT=6380, NIMBUS_DATA_DIR=/tmp/n), then flags.`;

interface ConfigFlags {
  config?: string;
  dataDir?: string;
  ephemeral?: boolean;
  host?: string;
  services?: string;
  logLevel?: string;
  logFormat?: string;
  onFailure?: string;
  [port: string]: unknown;
}

/** Commander option → dotted config key, with the flag's spelling for provenance. */
function flagsToConfig(opts: ConfigFlags, portFlags: Array<{ attr: string; key: string; flag: string }>) {
  const out: Array<{ key: string; value: unknown; flag: string }> = [];
  const add = (key: string, value: unknown, flag: string): void => {
    if (value !== undefined) out.push({ key, value, flag });
  };
  add('dataDir', opts.dataDir, '--data-dir');
  add('ephemeral', opts.ephemeral, '--ephemeral');
  add('host', opts.host, '--host');
  add('logLevel', opts.logLevel, '--log-level');
  add('logFormat', opts.logFormat, '--log-format');
  add('onServiceFailure', opts.onFailure, '--on-failure');
  if (opts.services !== undefined)
    add(
      'services',
      opts.services
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      '--services',
    );
  for (const p of portFlags) add(p.key, opts[p.attr], p.flag);
  return out;
}

function parsePort(v: string): number | string {
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** The shared config flags, for `up` and `config`. Port flags come from the service definitions. */
function addConfigOptions(cmd: Command) {
  const defs = allDefinitions(new GatewayRouter(), {
    health: () => ({ status: 'ok', services: {} }),
    metrics: () => '',
    info: () => ({}),
  });
  cmd
    .option('-c, --config <path>', 'read this YAML config file instead of ./nimbus.yaml')
    .option('--data-dir <dir>', 'where services keep their data (default ./.nimbus)')
    .option('--ephemeral', 'use a temporary data dir, removed on exit')
    .option('--host <address>', 'address every listener binds (default 127.0.0.1)')
    .option(
      '--services <list>',
      `comma-separated services to run (${defs.map((d) => d.name).join(', ')}); default all`,
    )
    .addOption(
      new Option('--log-level <level>', 'log level').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .addOption(
      new Option('--log-format <format>', 'log format (auto: pretty in a terminal, JSON otherwise)').choices([
        'auto',
        'json',
        'pretty',
      ]),
    )
    .addOption(
      new Option('--on-failure <policy>', 'when a service fails to start').choices(['exit', 'continue']),
    );
  const portFlags: Array<{ attr: string; key: string; flag: string }> = [];
  for (const def of defs) {
    if (!def.portKey) continue;
    const flag = `--${def.name}-port`;
    cmd.option(`${flag} <port>`, `${def.name} port (0 = any free port)`, parsePort);
    const attr = `${def.name}Port`.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    portFlags.push({ attr, key: `${def.name}.${def.portKey}`, flag });
  }
  return portFlags;
}

function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows)
    console.log(
      '  ' +
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
    );
}

function fail(err: unknown, json: boolean): never {
  const message = err instanceof Error ? err.message : String(err);
  if (json) console.log(JSON.stringify({ ready: false, error: message }));
  console.error(`nimbus: ${message.split('\n').join('\nnimbus: ')}`);
  if (!(err instanceof NimbusError) && err instanceof Error && process.env.NIMBUS_DEBUG)
    console.error(err.stack);
  process.exit(err instanceof NimbusError && err.code === 'ECONFIG' ? 2 : 1);
}

async function up(
  opts: ConfigFlags & { json?: boolean },
  portFlags: Array<{ attr: string; key: string; flag: string }>,
) {
  let cloud: Nimbus;
  try {
    cloud = await startNimbus({
      flags: flagsToConfig(opts, portFlags),
      ...(opts.config ? { configPath: opts.config } : {}),
    });
  } catch (err) {
    fail(err, Boolean(opts.json));
  }
  let signals = 0;
  const shutdown = (signal: string): void => {
    signals++;
    if (signals > 1) {
      console.error(`nimbus: second ${signal}, exiting without a clean stop`);
      process.exit(130);
    }
    if (!opts.json) console.error(`nimbus: ${signal} received, stopping (press Ctrl-C again to force)`);
    cloud.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`nimbus: error while stopping: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const status = cloud.status();
  if (opts.json) {
    console.log(
      JSON.stringify({
        ready: true,
        endpoints: cloud.endpoints,
        pid: process.pid,
        dataDir: cloud.dataDir,
        readyMs: Math.round(cloud.readyMs),
      }),
    );
    return;
  }
  console.log(
    `\nNimbus ${VERSION} ready in ${Math.round(cloud.readyMs)} ms (data: ${cloud.dataDir}${cloud.config.host.ephemeral ? ', ephemeral' : ''})\n`,
  );
  const rows = [['SERVICE', 'STATE', 'ENDPOINT']];
  for (const s of status) {
    const eps = Object.values(s.endpoints);
    rows.push([s.name, s.state, eps[0] ?? s.detail ?? '']);
    for (const e of eps.slice(1)) rows.push(['', '', e]);
  }
  printTable(rows);
  console.log('\nPress Ctrl-C to stop.');
}

async function status(opts: { gateway: string; json?: boolean }) {
  const base = opts.gateway.replace(/\/$/, '');
  let body: {
    status: string;
    services: Record<string, { state: string; detail?: string; endpoints: Record<string, string> }>;
  };
  let info: { version?: string; uptimeSeconds?: number; dataDir?: string; pid?: number };
  try {
    const [h, i] = await Promise.all([fetch(`${base}/_nimbus/health`), fetch(`${base}/_nimbus/info`)]);
    body = (await h.json()) as typeof body;
    info = (await i.json()) as typeof info;
  } catch (err) {
    console.error(
      `nimbus: no Nimbus host answers at ${base} (${(err as Error).cause ?? (err as Error).message}). Is \`nimbus up\` running?`,
    );
    process.exit(1);
  }
  if (opts.json) {
    console.log(JSON.stringify({ ...body, info }));
    return;
  }
  console.log(
    `Nimbus ${info.version ?? '?'} (pid ${info.pid ?? '?'}), up ${info.uptimeSeconds ?? 0} s, data ${info.dataDir ?? '?'}: ${body.status}\n`,
  );
  const rows = [['SERVICE', 'STATE', 'ENDPOINT']];
  for (const [name, s] of Object.entries(body.services))
    rows.push([name, s.state, Object.values(s.endpoints)[0] ?? s.detail ?? '']);
  printTable(rows);
  if (body.status !== 'ok') process.exitCode = 1;
}

function config(
  opts: ConfigFlags & { json?: boolean },
  portFlags: Array<{ attr: string; key: string; flag: string }>,
) {
  const defs = allDefinitions(new GatewayRouter(), {
    health: () => ({ status: 'ok', services: {} }),
    metrics: () => '',
    info: () => ({}),
  });
  let cfg;
  try {
    cfg = loadConfig(defs, {
      flags: flagsToConfig(opts, portFlags),
      ...(opts.config ? { configPath: opts.config } : {}),
    });
  } catch (err) {
    fail(err, false);
  }
  const rows = describeConfig(cfg);
  if (opts.json) {
    console.log(JSON.stringify(rows));
    return;
  }
  if (cfg.file) console.log(`config file: ${cfg.file}\n`);
  printTable([
    ['KEY', 'VALUE', 'SOURCE'],
    ...rows.map((r) => [r.key, JSON.stringify(r.value) ?? 'undefined', r.source]),
  ]);
}

export function buildProgram(): Command {
  const program = new Command('nimbus')
    .description('Nimbus: a whole cloud on one machine (Redis, Kafka, S3 ...) speaking the real protocols.')
    .version(VERSION, '-v, --version')
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError('(run nimbus --help for usage)');

  const upCmd = program
    .command('up')
    .description('start the services and print their endpoints')
    .option('--json', 'print one JSON line when ready, for scripts');
  const upPorts = addConfigOptions(upCmd);
  upCmd.action((opts: ConfigFlags & { json?: boolean }) => up(opts, upPorts));

  program
    .command('status')
    .description('show what a running host runs (via its admin API)')
    .option(
      '--gateway <url>',
      'the host gateway URL',
      process.env.NIMBUS_GATEWAY_URL ?? 'http://127.0.0.1:4566',
    )
    .option('--json', 'print JSON')
    .action(status);

  const cfgCmd = program
    .command('config')
    .description('print the effective configuration and where each value came from')
    .option('--json', 'print JSON');
  const cfgPorts = addConfigOptions(cfgCmd);
  cfgCmd.action((opts: ConfigFlags & { json?: boolean }) => config(opts, cfgPorts));

  program
    .command('version')
    .description('print the version')
    .action(() => console.log(`nimbus ${VERSION} (node ${process.version})`));

  registerServiceCommands(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => fail(err, false));

/**
 * `nimbus kafka …`: registerKafkaCli(program) adds the Kafka tools with Kafka's own flags so the
 * handbook's commands work as written (kafka-topics.sh → `nimbus kafka topics`, and so on).
 * Each action runs a command function from this folder with the process streams and sets
 * process.exitCode; the functions are tested in-process against a real broker.
 */
import { Command, InvalidArgumentError } from 'commander';
// The runners (and the wire codecs they use) are imported when a command runs, so that
// `nimbus up` does not pay for loading them.
import type { runConsoleConsumer } from './console-consumer.js';
import type { runConsoleProducer } from './console-producer.js';
import type { runConsumerGroups } from './consumer-groups.js';
import type { CliIo } from './io.js';
import type { runTopics } from './topics.js';
import { DEFAULT_BOOTSTRAP } from './defaults.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function int(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not an integer.`);
  return Number(value);
}

function processIo(): CliIo {
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  process.once('SIGTERM', () => ac.abort());
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, signal: ac.signal };
}

const BOOTSTRAP_HELP = 'REQUIRED in Kafka; here defaults to the local Nimbus: the server to connect to';

export function registerKafkaCli(program: Command): Command {
  const kafka = program
    .command('kafka')
    .description('Kafka tools (kafka-topics, kafka-console-producer/consumer, kafka-consumer-groups)');

  kafka
    .command('topics')
    .description('Create, delete, describe, or change a topic (kafka-topics.sh)')
    .option('--bootstrap-server <host:port>', BOOTSTRAP_HELP, DEFAULT_BOOTSTRAP)
    .option('--create', 'Create a new topic.')
    .option('--list', 'List all available topics.')
    .option('--describe', 'List details for the given topics.')
    .option('--alter', 'Alter the number of partitions of a topic (increase only).')
    .option('--delete', 'Delete a topic.')
    .option('--topic <topic>', 'The topic to create, alter, describe or delete.')
    .option('--partitions <n>', 'The number of partitions for the topic being created or altered.', int)
    .option('--replication-factor <n>', 'The replication factor for each partition (1 on one node).', int)
    .option('--config <name=value>', 'A topic configuration override (repeatable).', collect)
    .option('--if-not-exists', 'With --create: only create the topic if it does not exist.')
    .option('--if-exists', 'With --alter/--delete: only act if the topic exists.')
    .action(async (o: Parameters<typeof runTopics>[0]) => {
      process.exitCode = await (await import('./topics.js')).runTopics(o, processIo());
    });

  kafka
    .command('console-producer')
    .description('Read lines from stdin and produce them to a topic (kafka-console-producer.sh)')
    .option('--bootstrap-server <host:port>', BOOTSTRAP_HELP, DEFAULT_BOOTSTRAP)
    .requiredOption('--topic <topic>', 'The topic to produce messages to.')
    .option('--property <name=value>', 'parse.key=true, key.separator=: (repeatable).', collect)
    .option(
      '--request-required-acks <acks>',
      'The required acks of the producer requests: 0, 1 or -1/all.',
      '-1',
    )
    .option('--compression-codec <codec>', 'none, gzip, snappy, lz4 or zstd.', 'none')
    .action(async (o: Parameters<typeof runConsoleProducer>[0]) => {
      if (o.requestRequiredAcks === 'all') o.requestRequiredAcks = '-1';
      process.exitCode = await (await import('./console-producer.js')).runConsoleProducer(o, processIo());
    });

  kafka
    .command('console-consumer')
    .description('Consume messages from a topic and print them (kafka-console-consumer.sh)')
    .option('--bootstrap-server <host:port>', BOOTSTRAP_HELP, DEFAULT_BOOTSTRAP)
    .requiredOption('--topic <topic>', 'The topic to consume from.')
    .option('--from-beginning', 'Start with the earliest message when there is no committed offset.')
    .option('--group <group>', 'The consumer group id.')
    .option('--partition <n>', 'Consume only this partition (no group).', int)
    .option('--offset <offset>', 'earliest, latest or an offset (with --partition).')
    .option(
      '--property <name=value>',
      'print.key=true, print.timestamp=true, key.separator=... (repeatable).',
      collect,
    )
    .option('--max-messages <n>', 'Exit after this many messages.', int)
    .option('--timeout-ms <ms>', 'Exit when no message arrived for this long.', int)
    .action(async (o: Parameters<typeof runConsoleConsumer>[0]) => {
      process.exitCode = await (await import('./console-consumer.js')).runConsoleConsumer(o, processIo());
    });

  kafka
    .command('consumer-groups')
    .description('List, describe, delete consumer groups and reset their offsets (kafka-consumer-groups.sh)')
    .option('--bootstrap-server <host:port>', BOOTSTRAP_HELP, DEFAULT_BOOTSTRAP)
    .option('--list', 'List all consumer groups.')
    .option('--describe', 'Describe a consumer group and its lag.')
    .option('--delete', 'Delete an inactive consumer group.')
    .option('--reset-offsets', "Reset a group's offsets (dry run unless --execute).")
    .option('--group <group>', 'The consumer group.')
    .option('--topic <topic>', 'The topic, optionally topic:p1,p2 (with --reset-offsets).')
    .option('--all-topics', 'Every topic the group has offsets for (with --reset-offsets).')
    .option('--to-earliest', 'Reset to the earliest offset.')
    .option('--to-latest', 'Reset to the latest offset.')
    .option('--to-datetime <datetime>', 'Reset to the first offset at or after YYYY-MM-DDTHH:mm:SS.sss.')
    .option('--shift-by <n>', 'Shift the current offset by n (may be negative).', int)
    .option('--to-offset <n>', 'Reset to this offset.', int)
    .option('--dry-run', 'Only show the result.')
    .option('--execute', 'Execute the reset.')
    .action(async (o: Parameters<typeof runConsumerGroups>[0]) => {
      process.exitCode = await (await import('./consumer-groups.js')).runConsumerGroups(o, processIo());
    });

  return kafka;
}

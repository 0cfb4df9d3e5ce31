/**
 * Starts a Nimbus Kafka broker on an ephemeral port for conformance tests and gives its
 * host:port. Tests use real clients (kafkajs, kcat, confluent-kafka) against it.
 */
import { startStandalone, type StandaloneService } from '../../../src/platform/testing.js';
import { kafkaService, type KafkaConfig } from '../../../src/kafka/index.js';

export interface TestBroker {
  /** host:port */
  address: string;
  standalone: StandaloneService<KafkaConfig>;
  close(): Promise<void>;
}

export async function startBroker(config: Partial<KafkaConfig> = {}): Promise<TestBroker> {
  const standalone = await startStandalone(kafkaService, { config });
  const url = standalone.service.endpoints().kafka;
  if (!url) throw new Error('kafka endpoint missing');
  return { address: url.replace(/^kafka:\/\//, ''), standalone, close: () => standalone.close() };
}

/** Polls `check` every intervalMs until it returns true or timeoutMs passes. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

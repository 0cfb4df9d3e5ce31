/**
 * The one place that lists Nimbus's services. Each entry is a service's public face
 * (src/<name>/index.ts). The gateway is built in (src/gateway) because the admin API lives on it.
 */
import type { ServiceDefinition } from './platform/service.js';
import { kafkaService } from './kafka/index.js';
import { redisService } from './redis/index.js';
import { s3Service } from './s3/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition carries its own config type
export const serviceDefinitions: ReadonlyArray<ServiceDefinition<any>> = [redisService, kafkaService, s3Service];

/**
 * The one place that lists Nimbus's services. Each entry is a service's public face
 * (src/<name>/index.ts). The gateway is built in (src/gateway) because the admin API lives on it.
 */
import type { ServiceDefinition } from './platform/service.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition carries its own config type
export const serviceDefinitions: ReadonlyArray<ServiceDefinition<any>> = [];

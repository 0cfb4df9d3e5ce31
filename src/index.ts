/** Nimbus's programmatic API: start a local cloud from a test suite or a script. */
export { startNimbus, VERSION } from './nimbus.js';
export type { Nimbus, StartOptions } from './nimbus.js';
export type { ServiceStatus } from './platform/host.js';
export type {
  Service,
  ServiceDefinition,
  ServiceContext,
  HealthReport,
  ServiceState,
} from './platform/service.js';
export {
  NimbusError,
  ConfigError,
  PortInUseError,
  DataDirLockedError,
  ServiceStartError,
} from './platform/errors.js';

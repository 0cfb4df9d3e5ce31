/**
 * The host's catalogue of operating errors. Each has a stable `code` that scripts and tests match
 * on; the message is for people. Programmer errors are asserts, not these.
 */
export class NimbusError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NimbusError';
  }
}

export class ConfigError extends NimbusError {
  constructor(message: string) {
    super('ECONFIG', message);
  }
}

export class PortInUseError extends NimbusError {
  constructor(
    readonly service: string,
    readonly host: string,
    readonly port: number,
  ) {
    super('EPORTINUSE', `port ${port} in use (${service} could not listen on ${host}:${port})`);
  }
}

export class DataDirLockedError extends NimbusError {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super('EDATADIRLOCKED', `data dir ${dataDir} is in use by another Nimbus host (pid ${pid})`);
  }
}

export class ServiceStartError extends NimbusError {
  constructor(
    readonly service: string,
    readonly causeMessage: string,
  ) {
    super('ESERVICESTART', `service ${service} failed to start: ${causeMessage}`);
  }
}

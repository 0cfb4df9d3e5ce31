/** Binding listeners with errors that name the service and the port. */
import type { Server } from 'node:net';
import { NimbusError, PortInUseError } from './errors.js';

export function listenOn(server: Server, service: string, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(service, host, port));
      else if (err.code === 'EACCES')
        reject(new NimbusError('EPORTACCESS', `permission denied binding ${host}:${port} for ${service}`));
      else if (err.code === 'EADDRNOTAVAIL')
        reject(
          new NimbusError('EADDRNOTAVAIL', `address ${host} is not available on this machine (${service})`),
        );
      else reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

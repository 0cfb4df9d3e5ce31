/** Defaults shared by the kafka CLI's command definitions and its client (kept apart so defining
 * the commands loads no client code). */
export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

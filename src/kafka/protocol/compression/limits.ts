/** Largest decompressed size of one batch's records; a bigger claim is treated as a corrupt batch. */
export const DECOMPRESSED_BYTES_MAX = 128 * 1024 * 1024;

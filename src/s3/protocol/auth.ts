/**
 * One entry point for S3 request authentication, run on headers alone (before any body byte is
 * read, so `Expect: 100-continue` can be answered or refused first).
 *
 * API
 *   authenticate(req, creds) → AuthResult          throws S3Error (AWS codes and fields)
 *     req   = { method, rawPath, rawQuery, headers: req.headersDistinct, virtualHostBucket? }
 *     creds = { secretFor(akid), strict, nowMs }
 *   result.payload tells the body reader what to check:
 *     'unsigned'     nothing
 *     'sha256'       new PayloadSha256Verifier(expectedHex): update(chunk)… finish() throws
 *                    XAmzContentSHA256Mismatch (or use BodyDigests({sha256:true}) and
 *                    verifyPayloadSha256(expectedHex, digest))
 *     'aws-chunked'  decode with aws-chunked.ts, passing result.chunkSigning when signed
 *   staticCredentials({ test: 'test' }, { strict, nowMs }) builds a CredentialStore.
 *
 * Precedence: an Authorization header and query-string auth together are an InvalidArgument,
 * as in S3. No auth at all is `anonymous` (verified: false); the handler decides (presigned POST
 * is authenticated by post-policy.ts instead).
 */
import { createHash, type Hash } from 'node:crypto';
import { parseQuery, queryMap } from './addressing.js';
import { S3Error } from './errors.js';
import { verifySigV2Header, verifySigV2Query } from './sigv2.js';
import {
  headerString,
  SIGV4_ALGORITHM,
  verifySigV4Header,
  verifySigV4Query,
  type AuthRequest,
  type AuthResult,
  type CredentialStore,
} from './sigv4.js';

export type {
  AuthRequest,
  AuthResult,
  ChunkSigningContext,
  CredentialStore,
  HeaderBag,
  PayloadMode,
} from './sigv4.js';

export function staticCredentials(
  keys: Readonly<Record<string, string>>,
  opts: { strict: boolean; nowMs: number },
): CredentialStore {
  return {
    secretFor: (id) => (Object.hasOwn(keys, id) ? keys[id] : undefined),
    strict: opts.strict,
    nowMs: opts.nowMs,
  };
}

function bothMechanisms(authorization: string): S3Error {
  return new S3Error('InvalidArgument', {
    message:
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    fields: { ArgumentName: 'Authorization', ArgumentValue: authorization },
  });
}

export function authenticate(req: AuthRequest, creds: CredentialStore): AuthResult {
  const authorization = headerString(req.headers, 'authorization');
  const hasQueryAuth =
    req.rawQuery !== '' &&
    /(?:^|&)(?:X-Amz-Algorithm|X-Amz-Credential|X-Amz-Signature|Signature|AWSAccessKeyId)=/.test(
      req.rawQuery,
    );
  if (authorization !== undefined) {
    if (hasQueryAuth) throw bothMechanisms(authorization);
    if (authorization.startsWith(SIGV4_ALGORITHM + ' ')) return verifySigV4Header(req, authorization, creds);
    if (authorization.startsWith('AWS ')) return verifySigV2Header(req, authorization, creds);
    if (authorization.startsWith('AWS4-ECDSA-P256-SHA256'))
      throw new S3Error('NotImplemented', { message: 'SigV4a is not implemented' });
    throw new S3Error('InvalidArgument', {
      message: 'Unsupported Authorization Type',
      fields: { ArgumentName: 'Authorization', ArgumentValue: authorization },
    });
  }
  if (hasQueryAuth) {
    const query = queryMap(parseQuery(req.rawQuery));
    if (query.has('X-Amz-Algorithm') || query.has('X-Amz-Signature') || query.has('X-Amz-Credential'))
      return verifySigV4Query(req, query, creds);
    return verifySigV2Query(req, query, creds);
  }
  return { scheme: 'anonymous', verified: false, payload: { kind: 'unsigned' } };
}

export function payloadSha256Mismatch(expectedHex: string, actualHex: string): S3Error {
  return new S3Error('XAmzContentSHA256Mismatch', {
    fields: { ClientComputedContentSHA256: expectedHex, S3ComputedContentSHA256: actualHex },
  });
}

export function verifyPayloadSha256(expectedHex: string, actualDigest: Uint8Array): void {
  const actualHex = Buffer.from(actualDigest).toString('hex');
  if (actualHex !== expectedHex.toLowerCase()) throw payloadSha256Mismatch(expectedHex, actualHex);
}

/** Incremental check of a `sha256` payload mode (the hashing hook for body readers). */
export class PayloadSha256Verifier {
  private readonly h: Hash = createHash('sha256');
  constructor(private readonly expectedHex: string) {}
  update(chunk: Uint8Array): void {
    this.h.update(chunk);
  }
  /** Throws XAmzContentSHA256Mismatch; call after the last byte, before committing anything. */
  finish(): void {
    verifyPayloadSha256(this.expectedHex, this.h.digest());
  }
}

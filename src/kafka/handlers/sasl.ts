/**
 * SaslHandshake (17) and SaslAuthenticate (36): PLAIN (RFC 4616) and SCRAM-SHA-256/512
 * (RFC 5802/7677), off unless config.sasl.enabled. The handshake picks the mechanism; the
 * authenticate round trips carry the mechanism's messages:
 *   PLAIN:  [authzid] NUL user NUL password
 *   SCRAM:  client-first "n,,n=user,r=cnonce" → server-first "r=cnonce+snonce,s=salt,i=iterations"
 *           client-final "c=biws,r=nonce,p=proof" → server-final "v=serverSignature"
 * A failed authentication answers SASL_AUTHENTICATION_FAILED and closes the connection, as Kafka.
 * Credentials are config passwords; SCRAM salts are random per process start.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '../error-codes.js';
import { ApiKey } from '../protocol/api-table.generated.js';
import type {
  SaslAuthenticateRequest,
  SaslAuthenticateResponse,
  SaslHandshakeRequest,
  SaslHandshakeResponse,
} from '../protocol/messages.generated.js';
import { EMPTY_BUFFER } from '../protocol/types.js';
import { defineHandler, type RequestContext } from './handler.js';

const SCRAM_ITERATIONS = 4096;
const SCRAM_HASH: Record<string, { algo: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { algo: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { algo: 'sha512', bytes: 64 },
};

type SaslState =
  | { stage: 'mechanism'; mechanism: string }
  | {
      stage: 'scram-final';
      mechanism: string;
      user: string;
      nonce: string;
      clientFirstBare: string;
      serverFirst: string;
      salted: Buffer;
    }
  | { stage: 'done' };

const saltCache = new Map<string, Buffer>();

function saltFor(mechanism: string, user: string): Buffer {
  const k = `${mechanism}\0${user}`;
  let s = saltCache.get(k);
  if (!s) {
    s = randomBytes(16);
    saltCache.set(k, s);
  }
  return s;
}

export const saslHandshakeHandler = defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>(
  ApiKey.SaslHandshake,
  [0, 1],
  (req, ctx) => {
    const { sasl } = ctx.env;
    const mechanisms = sasl.enabled ? [...sasl.mechanisms] : [];
    if (!mechanisms.includes(req.mechanism))
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    if (ctx.conn.principal !== null) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    ctx.conn.sasl = { stage: 'mechanism', mechanism: req.mechanism } satisfies SaslState;
    return { errorCode: 0, mechanisms };
  },
);

function fail(ctx: RequestContext, message: string) {
  ctx.conn.sasl = null;
  ctx.conn.closeAfterFlush();
  return {
    errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
    errorMessage: message,
    authBytes: EMPTY_BUFFER,
    sessionLifetimeMs: 0n,
  };
}

function ok(ctx: RequestContext, principal: string, authBytes: Buffer) {
  ctx.conn.principal = principal;
  ctx.conn.sasl = { stage: 'done' } satisfies SaslState;
  return { errorCode: 0, errorMessage: null, authBytes, sessionLifetimeMs: 0n };
}

function plain(bytes: Buffer, ctx: RequestContext) {
  const parts = bytes.toString('utf8').split('\0');
  if (parts.length !== 3) return fail(ctx, 'malformed PLAIN message');
  const [, user, password] = parts as [string, string, string];
  const expected = ctx.env.sasl.users[user];
  if (expected === undefined || !safeEqual(Buffer.from(expected), Buffer.from(password))) {
    return fail(ctx, 'Authentication failed: Invalid username or password');
  }
  return ok(ctx, user, EMPTY_BUFFER);
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function attrs(msg: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of msg.split(',')) {
    const i = part.indexOf('=');
    if (i === 1) m.set(part[0]!, part.slice(2));
  }
  return m;
}

function scramFirst(mechanism: string, bytes: Buffer, ctx: RequestContext) {
  const msg = bytes.toString('utf8');
  // gs2 header: "n,," or "n,a=authzid," (channel binding unsupported).
  const m = /^n,(a=[^,]*)?,(.*)$/.exec(msg);
  if (!m) return fail(ctx, 'malformed SCRAM client-first message');
  const clientFirstBare = m[2]!;
  const a = attrs(clientFirstBare);
  const user = (a.get('n') ?? '').replace(/=2C/g, ',').replace(/=3D/g, '=');
  const cnonce = a.get('r');
  const password = ctx.env.sasl.users[user];
  if (!cnonce || password === undefined)
    return fail(
      ctx,
      'Authentication failed during authentication due to invalid credentials with SASL mechanism ' +
        mechanism,
    );
  const h = SCRAM_HASH[mechanism]!;
  const salt = saltFor(mechanism, user);
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, h.bytes, h.algo);
  const nonce = cnonce + randomBytes(18).toString('base64');
  const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${SCRAM_ITERATIONS}`;
  ctx.conn.sasl = {
    stage: 'scram-final',
    mechanism,
    user,
    nonce,
    clientFirstBare,
    serverFirst,
    salted,
  } satisfies SaslState;
  return { errorCode: 0, errorMessage: null, authBytes: Buffer.from(serverFirst), sessionLifetimeMs: 0n };
}

function scramFinal(st: Extract<SaslState, { stage: 'scram-final' }>, bytes: Buffer, ctx: RequestContext) {
  const msg = bytes.toString('utf8');
  const pIdx = msg.lastIndexOf(',p=');
  if (pIdx < 0) return fail(ctx, 'malformed SCRAM client-final message');
  const withoutProof = msg.slice(0, pIdx);
  const a = attrs(msg);
  // Kafka checks endsWith, not equality: librdkafka echoes its client nonce in front of the
  // combined nonce, and Kafka's own ScramSaslServer accepts that.
  if (!(a.get('r') ?? '').endsWith(st.nonce)) return fail(ctx, 'SCRAM nonce mismatch');
  const h = SCRAM_HASH[st.mechanism]!;
  const hmac = (key: Buffer, data: string): Buffer => createHmac(h.algo, key).update(data).digest();
  const authMessage = `${st.clientFirstBare},${st.serverFirst},${withoutProof}`;
  const clientKey = hmac(st.salted, 'Client Key');
  const storedKey = createHash(h.algo).update(clientKey).digest();
  const clientSignature = hmac(storedKey, authMessage);
  const proof = Buffer.from(a.get('p') ?? '', 'base64');
  if (proof.length !== clientSignature.length) return fail(ctx, 'SCRAM proof has the wrong length');
  const candidate = Buffer.alloc(proof.length);
  for (let i = 0; i < proof.length; i++) candidate[i] = proof[i]! ^ clientSignature[i]!;
  if (!safeEqual(createHash(h.algo).update(candidate).digest(), storedKey)) {
    return fail(
      ctx,
      `Authentication failed during authentication due to invalid credentials with SASL mechanism ${st.mechanism}`,
    );
  }
  const serverSignature = hmac(hmac(st.salted, 'Server Key'), authMessage);
  return ok(ctx, st.user, Buffer.from(`v=${serverSignature.toString('base64')}`));
}

export const saslAuthenticateHandler = defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>(
  ApiKey.SaslAuthenticate,
  [0, 2],
  (req, ctx) => {
    const st = ctx.conn.sasl as SaslState | null;
    if (!st || st.stage === 'done') {
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'SaslAuthenticate without a SaslHandshake',
        authBytes: EMPTY_BUFFER,
        sessionLifetimeMs: 0n,
      };
    }
    if (st.stage === 'scram-final') return scramFinal(st, req.authBytes, ctx);
    if (st.mechanism === 'PLAIN') return plain(req.authBytes, ctx);
    if (SCRAM_HASH[st.mechanism]) return scramFirst(st.mechanism, req.authBytes, ctx);
    return fail(ctx, `mechanism ${st.mechanism} is not supported`);
  },
);

/**
 * The S3 error catalogue and AWS's error body.
 *
 * API (for handlers):
 *   new S3Error(code, { message?, resource?, fields?, headers? })   a typed operating error
 *   err.status / err.code / err.message / err.fields                 what the wire reply needs
 *   err.toXml(requestId, hostId?)                                    the exact body AWS sends
 *   s3ErrorXml(code, message, fields, requestId, resource?, hostId?) same, without an S3Error
 *   isS3Error(x)                                                     narrowing helper
 *   S3_ERRORS[code] = { status, message }                            the catalogue
 *
 * Body shape (as S3 sends it; extra fields sit between Message and RequestId, in insertion order):
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>
 *     <Key>a/b</Key><Resource>/bucket/a/b</Resource><RequestId>..</RequestId><HostId>..</HostId></Error>
 * HEAD requests carry no body: the handler sends only the status and x-amz-request-id.
 *
 * Codes, statuses and default messages are facts from AWS's "Error responses" S3 reference (the
 * botocore model in ../shared/specs has no status table for S3, so this table is written by hand).
 */
import { xmlEscape } from './xml-escape.js';

export interface S3ErrorSpec {
  readonly status: number;
  readonly message: string;
}

export const S3_ERRORS = {
  AccessDenied: { status: 403, message: 'Access Denied' },
  AccessForbidden: { status: 403, message: 'CORSResponse: This CORS request is not allowed.' },
  AccountProblem: {
    status: 403,
    message:
      'There is a problem with your AWS account that prevents the operation from completing successfully.',
  },
  AllAccessDisabled: { status: 403, message: 'All access to this Amazon S3 resource has been disabled.' },
  AuthorizationHeaderMalformed: { status: 400, message: 'The authorization header is malformed.' },
  AuthorizationQueryParametersError: {
    status: 400,
    message:
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
  },
  BadDigest: { status: 400, message: 'The Content-MD5 you specified did not match what we received.' },
  BadRequest: { status: 400, message: 'Bad Request' },
  BucketAlreadyExists: {
    status: 409,
    message:
      'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
  },
  BucketAlreadyOwnedByYou: {
    status: 409,
    message: 'Your previous request to create the named bucket succeeded and you already own it.',
  },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty' },
  ConditionalRequestConflict: {
    status: 409,
    message: 'The conditional request cannot succeed due to a conflicting operation against this resource.',
  },
  CredentialsNotSupported: { status: 400, message: 'This request does not support credentials.' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed size' },
  EntityTooSmall: {
    status: 400,
    message: 'Your proposed upload is smaller than the minimum allowed object size.',
  },
  ExpiredToken: { status: 400, message: 'The provided token has expired.' },
  IllegalLocationConstraintException: {
    status: 400,
    message: 'The specified location-constraint is not valid',
  },
  IllegalVersioningConfigurationException: {
    status: 400,
    message: 'The Versioning element must be specified',
  },
  IncompleteBody: {
    status: 400,
    message: 'You did not provide the number of bytes specified by the Content-Length HTTP header',
  },
  IncorrectNumberOfFilesInPostRequest: {
    status: 400,
    message: 'POST requires exactly one file upload per request.',
  },
  InlineDataTooLarge: { status: 400, message: 'Inline data exceeds the maximum allowed size.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  InvalidAccessKeyId: {
    status: 403,
    message: 'The AWS Access Key Id you provided does not exist in our records.',
  },
  InvalidArgument: { status: 400, message: 'Invalid Argument' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.' },
  InvalidBucketState: {
    status: 409,
    message: 'The request is not valid with the current state of the bucket.',
  },
  InvalidChunkSizeError: {
    status: 403,
    message: 'Only the last chunk is allowed to have a size less than 8192 bytes',
  },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified was invalid.' },
  InvalidEncryptionAlgorithmError: {
    status: 400,
    message: 'The encryption request you specified is not valid.',
  },
  InvalidLocationConstraint: { status: 400, message: 'The specified location constraint is not valid.' },
  InvalidObjectState: { status: 403, message: "The operation is not valid for the object's storage class" },
  InvalidPart: {
    status: 400,
    message:
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  },
  InvalidPartOrder: {
    status: 400,
    message: 'The list of parts was not in ascending order. Parts must be ordered by part number.',
  },
  InvalidPolicyDocument: {
    status: 400,
    message: 'The content of the form does not meet the conditions specified in the policy document.',
  },
  InvalidRange: { status: 416, message: 'The requested range is not satisfiable' },
  InvalidRequest: { status: 400, message: 'Invalid Request' },
  InvalidStorageClass: { status: 400, message: 'The storage class you specified is not valid' },
  InvalidTag: { status: 400, message: 'The TagValue you have provided is invalid' },
  InvalidToken: { status: 400, message: 'The provided token is malformed or otherwise invalid.' },
  InvalidURI: { status: 400, message: "Couldn't parse the specified URI." },
  KeyTooLongError: { status: 400, message: 'Your key is too long' },
  MalformedACLError: {
    status: 400,
    message: 'The XML you provided was not well-formed or did not validate against our published schema.',
  },
  MalformedPOSTRequest: {
    status: 400,
    message: 'The body of your POST request is not well-formed multipart/form-data.',
  },
  MalformedPolicy: { status: 400, message: "Policies must be valid JSON and the first byte must be '{'" },
  MalformedXML: {
    status: 400,
    message: 'The XML you provided was not well-formed or did not validate against our published schema',
  },
  MaxMessageLengthExceeded: { status: 400, message: 'Your request was too big.' },
  MaxPostPreDataLengthExceededError: {
    status: 400,
    message: 'Your POST request fields preceding the upload file were too large.',
  },
  MetadataTooLarge: {
    status: 400,
    message: 'Your metadata headers exceed the maximum allowed metadata size.',
  },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  MissingRequestBodyError: { status: 400, message: 'Request Body is empty' },
  MissingSecurityHeader: { status: 400, message: 'Your request was missing a required header' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist' },
  NoSuchBucketPolicy: { status: 404, message: 'The bucket policy does not exist' },
  NoSuchCORSConfiguration: { status: 404, message: 'The CORS configuration does not exist' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchLifecycleConfiguration: { status: 404, message: 'The lifecycle configuration does not exist' },
  NoSuchTagSet: { status: 404, message: 'The TagSet does not exist' },
  NoSuchUpload: {
    status: 404,
    message:
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  },
  NoSuchVersion: { status: 404, message: 'The specified version does not exist.' },
  NoSuchWebsiteConfiguration: {
    status: 404,
    message: 'The specified bucket does not have a website configuration',
  },
  NotImplemented: {
    status: 501,
    message: 'A header you provided implies functionality that is not implemented',
  },
  NotModified: { status: 304, message: 'Not Modified' },
  ObjectLockConfigurationNotFoundError: {
    status: 404,
    message: 'Object Lock configuration does not exist for this bucket',
  },
  OperationAborted: {
    status: 409,
    message: 'A conflicting conditional operation is currently in progress against this resource. Try again.',
  },
  OwnershipControlsNotFoundError: { status: 404, message: 'The bucket ownership controls were not found' },
  PermanentRedirect: {
    status: 301,
    message:
      'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
  },
  PreconditionFailed: {
    status: 412,
    message: 'At least one of the pre-conditions you specified did not hold',
  },
  RequestHeaderSectionTooLarge: {
    status: 400,
    message: 'Your request header section exceeds the maximum allowed size.',
  },
  RequestIsNotMultiPartContent: {
    status: 400,
    message: 'Bucket POST must be of the enclosure-type multipart/form-data',
  },
  RequestTimeout: {
    status: 400,
    message:
      'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.',
  },
  RequestTimeTooSkewed: {
    status: 403,
    message: 'The difference between the request time and the current time is too large.',
  },
  ServerSideEncryptionConfigurationNotFoundError: {
    status: 404,
    message: 'The server side encryption configuration was not found',
  },
  ServiceUnavailable: { status: 503, message: 'Please reduce your request rate.' },
  SignatureDoesNotMatch: {
    status: 403,
    message:
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  },
  SlowDown: { status: 503, message: 'Please reduce your request rate.' },
  TemporaryRedirect: {
    status: 307,
    message:
      'Please re-send this request to the specified temporary endpoint. Continue to use the original request endpoint for future requests.',
  },
  TooManyBuckets: { status: 400, message: 'You have attempted to create more buckets than allowed' },
  TooManyParts: { status: 400, message: 'You have attempted to upload more parts than allowed' },
  UnexpectedContent: { status: 400, message: 'This request does not support content' },
  XAmzContentSHA256Mismatch: {
    status: 400,
    message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  },
} as const satisfies Record<string, S3ErrorSpec>;

export type S3ErrorCode = keyof typeof S3_ERRORS;

/** Extra XML elements (name → text), e.g. { Key: 'a/b' } or { BucketName: 'b' }, in wire order. */
export type S3ErrorFields = Readonly<Record<string, string | number>>;

export interface S3ErrorOptions {
  /** Overrides the catalogue's default message (AWS varies it per cause, e.g. "Request has expired"). */
  readonly message?: string;
  /** `<Resource>`: the path the request addressed, e.g. `/bucket/key`. Omitted when absent. */
  readonly resource?: string;
  readonly fields?: S3ErrorFields;
  /** Response headers the error implies (e.g. `x-amz-delete-marker`, `allow`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Status override for the rare code AWS sends with several statuses. */
  readonly status?: number;
}

export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  readonly resource: string | undefined;
  readonly fields: S3ErrorFields;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: S3ErrorCode, opts: S3ErrorOptions = {}) {
    const spec = S3_ERRORS[code];
    super(opts.message ?? spec.message);
    this.name = 'S3Error';
    this.code = code;
    this.status = opts.status ?? spec.status;
    this.resource = opts.resource;
    this.fields = opts.fields ?? {};
    this.headers = opts.headers ?? {};
  }

  /** The body AWS sends for this error. `resource` overrides the one given at construction. */
  toXml(requestId: string, hostId?: string, resource?: string): string {
    return s3ErrorXml(this.code, this.message, this.fields, requestId, resource ?? this.resource, hostId);
  }
}

export function isS3Error(x: unknown): x is S3Error {
  return x instanceof S3Error;
}

export function s3ErrorXml(
  code: string,
  message: string,
  fields: S3ErrorFields,
  requestId: string,
  resource?: string,
  hostId?: string,
): string {
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>`;
  for (const name of Object.keys(fields)) {
    out += `<${name}>${xmlEscape(String(fields[name]))}</${name}>`;
  }
  if (resource !== undefined) out += `<Resource>${xmlEscape(resource)}</Resource>`;
  out += `<RequestId>${xmlEscape(requestId)}</RequestId>`;
  if (hostId !== undefined) out += `<HostId>${xmlEscape(hostId)}</HostId>`;
  return out + '</Error>';
}

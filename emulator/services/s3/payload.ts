// S3 request bodies as the object will hold them, with every integrity check the client sent verified: the
// aws-chunked framing and its declared length, x-amz-content-sha256, Content-MD5, and one `x-amz-checksum-*`
// from a header or a trailer. The checks run piece by piece (PayloadVerifier), so an object body is verified
// as it streams to a temporary blob (receivePayload) and is never whole in memory; small bodies (XML
// configurations) are read whole (readPayload). It decides nothing about storing: that is the store's.
import { Readable } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';
import type { BlobDraft } from '../../state/blobs.js';
import { header, type ServiceRequest } from '../../core/http.js';
import {
  CHECKSUM_ALGORITHMS,
  checksumHeaderName,
  isChecksumOfWrongLength,
  isWellFormedChecksum,
  isWellFormedContentMd5,
  parseChecksumAlgorithm,
  runningChecksum,
  type ChecksumAlgorithm,
  type RunningChecksum,
} from './checksums.js';
import { AwsChunkedDecoder } from './chunked.js';
import {
  BadDigest,
  XAmzContentSHA256Mismatch,
  IncompleteBody,
  InvalidDigest,
  InvalidRequest,
  MalformedTrailerError,
  MissingContentLength,
} from './errors.js';

export interface SentChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

export interface VerifiedPayload {
  /** Bytes of the payload (after aws-chunked decoding). */
  size: number;
  /** MD5 of the payload: the ETag of a single-part object or a part. */
  md5: Buffer;
  /** The checksum the client sent, already verified against the payload. */
  checksum?: SentChecksum;
  /** With `objectChecksum`: the object's checksum as sent, checked for form only, for the caller to verify. */
  objectChecksum?: SentChecksum;
}

export interface PayloadOptions {
  /**
   * The `x-amz-checksum-*` describes the object being made, not this body (CompleteMultipartUpload): it is
   * checked for form only (a composite `-N` allowed) and returned as objectChecksum.
   */
  objectChecksum?: boolean;
  /**
   * The caller hashes the payload with SHA-256 itself (a blob draft names its blob so) and hands that digest to
   * result(): the body is then hashed once for both, not twice.
   */
  payloadSha256FromCaller?: boolean;
}

/**
 * Whether the body is aws-chunked framing. x-amz-content-sha256 decides, as at AWS: a STREAMING-* marker frames
 * the body in chunks; a SHA-256 of the body or UNSIGNED-PAYLOAD means the body as sent, even under a
 * `Content-Encoding: aws-chunked` (ceph's s3-tests send that label on plain bodies and AWS stores them as sent;
 * so do we). Only without x-amz-content-sha256 (a presigned URL) does the Content-Encoding decide.
 */
export function isAwsChunked(request: ServiceRequest): boolean {
  // The server admitted x-amz-content-sha256 only as a SHA-256 or one of S3's markers (credential.ts).
  const contentSha256 = header(request, 'x-amz-content-sha256');
  if (contentSha256 !== undefined) return contentSha256.startsWith('STREAMING-');
  const encodings = (header(request, 'content-encoding') ?? '').split(',').map((value) => value.trim().toLowerCase());
  return encodings.includes('aws-chunked');
}

/**
 * The checks of one request body, fed piece by piece. The declared aws-chunked length is checked when it is
 * made (before any byte is read); everything else once the body has ended, in the order S3 reports them.
 */
export class PayloadVerifier {
  private readonly decoder?: AwsChunkedDecoder;
  private readonly declaredLength?: number;
  private readonly contentSha256?: string;
  private readonly sha256?: Hash;
  private readonly md5 = createHash('md5');
  private readonly running = new Map<ChecksumAlgorithm, RunningChecksum>();
  private trailers: Record<string, string> = {};
  private size = 0;
  private ended = false;

  constructor(
    private readonly request: ServiceRequest,
    private readonly options: PayloadOptions = {},
  ) {
    const contentSha256 = header(request, 'x-amz-content-sha256');
    if (isAwsChunked(request)) {
      const declared = header(request, 'x-amz-decoded-content-length');
      // AWS answers a missing or unreadable decoded length alike, as a missing length (411); so do we.
      if (declared === undefined || !/^\d+$/.test(declared.trim())) throw new MissingContentLength();
      this.declaredLength = Number(declared);
      this.decoder = new AwsChunkedDecoder();
    } else if (contentSha256 !== undefined && /^[0-9a-f]{64}$/i.test(contentSha256)) {
      this.contentSha256 = contentSha256.toLowerCase();
      if (!options.payloadSha256FromCaller) this.sha256 = createHash('sha256');
    }
    // The checksums that can be sent: in a header, in a declared trailer, or named by the SDK's algorithm header.
    const candidates = new Set<ChecksumAlgorithm>();
    for (const algorithm of CHECKSUM_ALGORITHMS) if (header(request, checksumHeaderName(algorithm)) !== undefined) candidates.add(algorithm);
    for (const name of this.declaredTrailers()) {
      const algorithm = parseChecksumAlgorithm(name);
      if (algorithm) candidates.add(algorithm);
    }
    const sdkAlgorithm = parseChecksumAlgorithm(header(request, 'x-amz-sdk-checksum-algorithm') ?? '');
    if (sdkAlgorithm) candidates.add(sdkAlgorithm);
    if (!options.objectChecksum) for (const algorithm of candidates) this.running.set(algorithm, runningChecksum(algorithm));
  }

  /**
   * Feeds the next piece of the body as received.
   * @returns the payload bytes it carries (views, not copies), already hashed
   */
  push(raw: Buffer): Buffer[] {
    const pieces = this.decoder ? this.decoder.push(raw) : [raw];
    for (const piece of pieces) {
      this.size += piece.length;
      this.md5.update(piece);
      this.sha256?.update(piece);
      for (const running of this.running.values()) running.update(piece);
    }
    return pieces;
  }

  /**
   * Ends the body: the framing is complete and the trailers are read.
   * @returns the algorithm of a checksum that came in a trailer nobody declared, whose value must be computed
   *   from the stored payload and passed to result(); undefined when there is none
   */
  end(): ChecksumAlgorithm | undefined {
    this.ended = true;
    if (this.decoder) {
      this.trailers = this.decoder.end().trailers;
      if (this.size !== this.declaredLength) throw new IncompleteBody();
      for (const name of this.declaredTrailers()) if (this.trailers[name] === undefined) throw new MalformedTrailerError();
    }
    const sent = this.sentChecksum();
    return sent && !this.options.objectChecksum && !this.running.has(sent.algorithm) ? sent.algorithm : undefined;
  }

  /**
   * The verdict, after end().
   * @param lateChecksum - the value end() asked for, computed over the payload
   * @param payloadSha256 - the payload's SHA-256 (hex) when the caller computed it (payloadSha256FromCaller)
   */
  result(lateChecksum?: string, payloadSha256?: string): VerifiedPayload {
    if (!this.ended) throw new Error('PayloadVerifier.result before end');
    const md5 = this.md5.digest();
    if (this.contentSha256 !== undefined && (this.sha256 || payloadSha256 !== undefined)) {
      const computed = payloadSha256 ?? this.sha256!.digest('hex');
      if (computed !== this.contentSha256) throw new XAmzContentSHA256Mismatch(this.contentSha256, computed);
    }
    const contentMd5 = header(this.request, 'content-md5');
    if (contentMd5 !== undefined) {
      if (!isWellFormedContentMd5(contentMd5.trim())) throw new InvalidDigest();
      if (md5.toString('base64') !== contentMd5.trim()) throw new BadDigest();
    }
    const checksum = this.sentChecksum();
    const sdkAlgorithm = header(this.request, 'x-amz-sdk-checksum-algorithm');
    if (!checksum && sdkAlgorithm !== undefined && parseChecksumAlgorithm(sdkAlgorithm)) {
      throw new InvalidRequest('x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.');
    }
    if (!checksum) return { size: this.size, md5 };
    const digest = this.options.objectChecksum ? checksum.value.replace(/-\d+$/, '') : checksum.value;
    // AWS answers base64 of the wrong length as an invalid header, and anything else that is not the digest
    // (no base64 at all, or another digest) as BadDigest; so do we, on a body and on CompleteMultipartUpload.
    if (isChecksumOfWrongLength(checksum.algorithm, digest)) throw new InvalidRequest(`Value for ${checksumHeaderName(checksum.algorithm)} header is invalid.`);
    if (!isWellFormedChecksum(checksum.algorithm, digest)) throw new BadDigest(this.options.objectChecksum ? checksum.algorithm.toLowerCase() : checksum.algorithm);
    // On CompleteMultipartUpload the value is the object's, checked against it when the parts are assembled.
    if (this.options.objectChecksum) return { size: this.size, md5, objectChecksum: checksum };
    const computed = this.running.get(checksum.algorithm)?.digest() ?? lateChecksum;
    if (computed !== checksum.value) throw new BadDigest(checksum.algorithm);
    return { size: this.size, md5, checksum };
  }

  /** The one `x-amz-checksum-*` sent, from a header or a trailer. @throws InvalidRequest - more than one */
  private sentChecksum(): SentChecksum | undefined {
    const sent: SentChecksum[] = [];
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const name = checksumHeaderName(algorithm);
      const value = header(this.request, name) ?? this.trailers[name];
      if (value !== undefined) sent.push({ algorithm, value: value.trim() });
    }
    if (sent.length > 1) throw new InvalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    return sent[0];
  }

  private declaredTrailers(): string[] {
    return (header(this.request, 'x-amz-trailer') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean);
  }
}

/**
 * A small body read whole (XML configurations, DeleteObjects, CompleteMultipartUpload), verified.
 * @returns the payload and what the verifier found
 */
export function readPayload(request: ServiceRequest, options: PayloadOptions = {}): { payload: Buffer; checksum?: SentChecksum; objectChecksum?: SentChecksum } {
  const verifier = new PayloadVerifier(request, options);
  const pieces = verifier.push(request.body);
  const payload = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  const late = verifier.end();
  const { checksum, objectChecksum } = verifier.result(late ? runningChecksumOf(late, payload) : undefined);
  return { payload, ...(checksum ? { checksum } : {}), ...(objectChecksum ? { objectChecksum } : {}) };
}

function runningChecksumOf(algorithm: ChecksumAlgorithm, payload: Buffer): string {
  const running = runningChecksum(algorithm);
  running.update(payload);
  return running.digest();
}

/**
 * An object body (PutObject, UploadPart) from the wire into a blob draft, verified on the way: the body
 * streams (request.bodyStream) when the server let the router read it, else it is the whole body the server
 * read. The draft is the caller's: it must place or discard it.
 * @throws the S3 errors of PayloadVerifier; RequestBodyError (from the stream) when the client went away or sent too much
 */
export async function receivePayload(request: ServiceRequest, draft: BlobDraft, options: PayloadOptions = {}): Promise<VerifiedPayload> {
  // The draft's SHA-256 (its blob's name) is the payload's: one hash serves x-amz-content-sha256 too.
  const verifier = new PayloadVerifier(request, { ...options, payloadSha256FromCaller: true });
  const source: AsyncIterable<Buffer> = request.bodyStream ?? Readable.from(request.body.length > 0 ? [request.body] : []);
  for await (const raw of source) {
    for (const piece of verifier.push(raw)) await draft.write(piece);
  }
  const late = verifier.end();
  const payloadSha256 = await draft.seal();
  let lateChecksum: string | undefined;
  if (late) {
    const running = runningChecksum(late);
    await draft.readBack((piece) => running.update(piece));
    lateChecksum = running.digest();
  }
  return verifier.result(lateChecksum, payloadSha256);
}

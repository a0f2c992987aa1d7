// Lambda's state and rules, without HTTP: functions (configuration, code digest, resource policy, tags) in the
// shared SQLite database, and the rules AWS applies to changing them. Code packages are FunctionCode's (code.ts),
// the async queue is EventQueue's (event-queue.ts), running a function is the executor's (executor.ts).
import { randomUUID } from 'node:crypto';
import type {
  AccountLimit,
  AccountUsage,
  CreateFunctionRequest,
  FunctionConfiguration,
  GetFunctionResponse,
  UpdateFunctionCodeRequest,
  UpdateFunctionConfigurationRequest,
} from '@aws-sdk/client-lambda';
import type { CloudSettings, IamForOthers } from '../../core/context.js';
import { Constraint, memberName, type ConstraintViolation } from '../../core/constraints.js';
import type { FaultInjector } from '../../core/faults.js';
import { migrate, type Db } from '../../state/database.js';
import { MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES } from '../../runtime/code-package.js';
import type { FunctionCode } from './code.js';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
  ValidationException,
} from './errors.js';
import { functionConfiguration, mergeLogging, type StoredFunction } from './function.js';
import { trustsService } from '../iam/policy-document.js';
import { buildStatement, policyAllowsInvoke, policyDocument, type AddPermissionInput } from './policy.js';
import { checkQualifier, parseFunctionIdentifier, validateFunctionSettings } from './validation.js';
import { mergeFunctionTags } from './tags.js';

export type { StoredFunction } from './function.js';
export { MAX_CODE_REQUEST_BYTES } from './code.js';

/** A request as it arrives on the wire: blobs are base64 text, not bytes. */
/** A request as it arrives in JSON: blobs as base64 text, or already decoded from it (a large inline package). */
export type Wire<T> = { [K in keyof T]: T[K] extends Uint8Array | undefined ? string | Buffer | undefined : T[K] };
export type CreateFunctionInput = Wire<Omit<CreateFunctionRequest, 'Code'>> & { Code?: Wire<NonNullable<CreateFunctionRequest['Code']>> };
export type UpdateFunctionCodeInput = Wire<UpdateFunctionCodeRequest>;
export type UpdateFunctionConfigurationInput = UpdateFunctionConfigurationRequest;

/** readyAt of a created function whose code is still being unpacked: Pending until the unpack says otherwise. */
export const UNPACKING = Number.MAX_SAFE_INTEGER;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lambda_functions (
  name TEXT PRIMARY KEY,
  document TEXT NOT NULL
);
`;

export interface LambdaStoreOptions {
  /** The cloud's identity and delays, read when used (the endpoint is known only once the cloud listens). */
  settings: Pick<CloudSettings, 'accountId' | 'region' | 'endpoint' | 'stateDelayMs'>;
  faults: FaultInjector;
  code: FunctionCode;
  /** The cloud's IAM, asked whether a role trusts Lambda (undefined while IAM is not running). */
  iam: () => IamForOthers | undefined;
  log(message: string): void;
}

export class LambdaStore {
  /** Told when a function's code or configuration changed or it was deleted (its environments retire). */
  onFunctionChanged: (name: string) => void = () => undefined;
  /** Told when no function uses this code any more (the runtime removes its folder once nothing runs in it). */
  onCodeReleased: (sha256Hex: string) => void = () => undefined;

  private readonly statements;
  private readonly settings: LambdaStoreOptions['settings'];

  constructor(
    private readonly db: Db,
    private readonly options: LambdaStoreOptions,
  ) {
    migrate(db, SCHEMA);
    this.settings = options.settings;
    this.statements = {
      get: db.prepare<[string], { document: string }>('SELECT document FROM lambda_functions WHERE name = ?'),
      insert: db.prepare<[string, string]>('INSERT INTO lambda_functions (name, document) VALUES (?, ?)'),
      update: db.prepare<[string, string]>('UPDATE lambda_functions SET document = ? WHERE name = ?'),
      remove: db.prepare<[string]>('DELETE FROM lambda_functions WHERE name = ?'),
      list: db.prepare<[string, number], { name: string; document: string }>('SELECT name, document FROM lambda_functions WHERE name > ? ORDER BY name LIMIT ?'),
      all: db.prepare<[], { document: string }>('SELECT document FROM lambda_functions'),
      // S3 asks on every overwrite and delete of a blob: let SQLite look, without parsing every document here.
      codeReferenced: db.prepare<[string], { found: 1 }>(`SELECT 1 AS found FROM lambda_functions WHERE json_extract(document, '$.codeSha256Hex') = ? LIMIT 1`),
    };
  }

  // --- identity -------------------------------------------------------------------------------------------

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.settings.region}:${this.settings.accountId}:function:${name}`;
  }

  /** Reads a FunctionName parameter (name or ARN); only `$LATEST` (or no qualifier) exists locally. */
  resolve(identifier: string, qualifier?: string): string {
    const parsed = parseFunctionIdentifier(identifier);
    const effective = qualifier ?? parsed.qualifier;
    if (effective !== undefined && effective !== '$LATEST') {
      throw ResourceNotFoundException.function(`${this.functionArn(parsed.name)}:${effective}`);
    }
    return parsed.name;
  }

  get(name: string): StoredFunction | undefined {
    const row = this.statements.get.get(name);
    return row ? (JSON.parse(row.document) as StoredFunction) : undefined;
  }

  require(name: string): StoredFunction {
    const fn = this.get(name);
    if (!fn) throw ResourceNotFoundException.function(this.functionArn(name));
    return fn;
  }

  // --- wire views -----------------------------------------------------------------------------------------

  /** The function as the API shows it, with State and LastUpdateStatus as of `now`. */
  configuration(fn: StoredFunction, now: number = Date.now()): FunctionConfiguration {
    return functionConfiguration(fn, this.functionArn(fn.name), now);
  }

  /** GetFunction's answer; the code location is a URL of the local endpoint that serves the zip. */
  functionDetails(fn: StoredFunction): GetFunctionResponse {
    const response: GetFunctionResponse = {
      Configuration: this.configuration(fn),
      Code: { RepositoryType: 'S3', Location: `${this.settings.endpoint}/2015-03-31/code-download/${fn.codeSha256Hex}.zip` },
    };
    if (Object.keys(fn.tags).length > 0) response.Tags = { ...fn.tags };
    return response;
  }

  /** True when some function's code has this digest (so the download URL may serve it). */
  codeIsReferenced(sha256Hex: string): boolean {
    return this.statements.codeReferenced.get(sha256Hex) !== undefined;
  }

  list(marker: string | undefined, maxItems: number): { functions: FunctionConfiguration[]; nextMarker?: string } {
    const rows = this.statements.list.all(marker ?? '', maxItems + 1);
    const page = rows.slice(0, maxItems);
    return {
      functions: page.map((row) => this.configuration(JSON.parse(row.document) as StoredFunction)),
      nextMarker: rows.length > maxItems ? page[page.length - 1]?.name : undefined,
    };
  }

  accountSettings(): { AccountLimit: AccountLimit; AccountUsage: AccountUsage } {
    const functions = this.statements.all.all().map((row) => JSON.parse(row.document) as StoredFunction);
    return {
      AccountLimit: {
        TotalCodeSize: 80_530_636_800,
        CodeSizeUnzipped: MAX_UNZIPPED_BYTES,
        CodeSizeZipped: MAX_ZIPPED_BYTES,
        ConcurrentExecutions: 1000,
        UnreservedConcurrentExecutions: 1000,
      },
      AccountUsage: { TotalCodeSize: functions.reduce((sum, fn) => sum + fn.codeSize, 0), FunctionCount: functions.length },
    };
  }

  // --- functions ------------------------------------------------------------------------------------------

  async createFunction(input: CreateFunctionInput): Promise<FunctionConfiguration> {
    const missing: ConstraintViolation[] = (['FunctionName', 'Role', 'Code'] as const)
      .filter((member) => input[member] === undefined)
      .map((member) => ({ member: memberName(member), value: null, constraint: Constraint.notNull }));
    if (missing.length > 0) throw ValidationException.violations(missing);
    const { name, qualifier } = parseFunctionIdentifier(input.FunctionName!, 'functionName', 140);
    if (qualifier !== undefined) throw new InvalidParameterValueException('Unsupported function name format: a qualifier is not allowed in CreateFunction');
    validateFunctionSettings(input);
    if (input.PackageType === 'Image') throw new InvalidParameterValueException('The local cloud runs only Zip packages; PackageType Image is not supported.');
    if (input.Runtime === undefined || input.Handler === undefined) {
      throw new InvalidParameterValueException('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
    }
    if (input.Layers && input.Layers.length > 0) throw new InvalidParameterValueException('The local cloud does not support layers.');
    if (this.get(name)) throw new ResourceConflictException(`Function already exist: ${name}`);
    // AWS's IAM propagation quirk: a freshly created role is not assumable for a few seconds.
    if (this.options.faults.take('role-propagation')) throw InvalidParameterValueException.roleCannotBeAssumed();
    this.checkRole(input.Role!);
    // With state delays on, the package is unpacked while the new function is Pending, as AWS prepares a function
    // after CreateFunction has answered: Active once both the delay has passed and the code is unpacked. With delays
    // off the function is Active at once, so its code is unpacked before the answer.
    const deferUnpack = this.settings.stateDelayMs > 0;
    const { stored: code, unpacked } = deferUnpack
      ? await this.options.code.acceptUnpackingLater(input.Code ?? {})
      : { stored: await this.options.code.accept(input.Code ?? {}), unpacked: undefined };

    const now = Date.now();
    const fn: StoredFunction = {
      name,
      runtime: input.Runtime,
      handler: input.Handler,
      role: input.Role!,
      description: input.Description ?? '',
      memorySize: input.MemorySize ?? 128,
      timeout: input.Timeout ?? 3,
      variables: input.Environment?.Variables ? { ...input.Environment.Variables } : undefined,
      tracingMode: input.TracingConfig?.Mode === 'Active' ? 'Active' : 'PassThrough',
      logging: mergeLogging(undefined, name, input.LoggingConfig),
      architectures: input.Architectures ?? ['x86_64'],
      ephemeralStorageMb: input.EphemeralStorage?.Size ?? 512,
      codeSha256Hex: code.sha256Hex,
      codeSize: code.size,
      revisionId: randomUUID(),
      generation: randomUUID(),
      lastModified: now,
      readyAt: unpacked ? UNPACKING : now + this.settings.stateDelayMs,
      policy: [],
      tags: mergeFunctionTags({}, input.Tags ?? {}),
    };
    const inserted = this.db.transaction(() => {
      if (this.statements.get.get(name)) return false;
      this.statements.insert.run(name, JSON.stringify(fn));
      return true;
    })();
    if (!inserted) throw new ResourceConflictException(`Function already exist: ${name}`);
    if (unpacked) void unpacked.then((failure) => this.unpackedForCreate(name, fn.generation, fn.codeSha256Hex, now + this.settings.stateDelayMs, failure));
    return this.configuration(fn, now);
  }

  /**
   * A created function's code is unpacked: it turns Active at `readyAt` (now, if that has passed), or Failed when
   * the package could not be unpacked (`failure`, the StateReason). A function
   * deleted meanwhile (or deleted and created again: another generation) is left alone, and code it no longer
   * uses is released again, since its folder appeared after the release.
   */
  private unpackedForCreate(name: string, generation: string, sha256Hex: string, readyAt: number, failure: string | undefined): void {
    try {
      const settled = this.db.transaction(() => {
        const fn = this.get(name);
        if (!fn || fn.generation !== generation || fn.readyAt !== UNPACKING) return false;
        fn.readyAt = Math.max(readyAt, Date.now());
        if (failure !== undefined) fn.createFailure = failure;
        this.save(fn);
        return true;
      })();
      if (!settled) this.releaseCode(sha256Hex);
    } catch (error) {
      // The database closed under us (the cloud is stopping): the next start settles the function (settleInterruptedCreates).
      this.options.log(`lambda: could not mark ${name} Active after unpacking its code: ${(error as Error).message}`);
    }
  }

  /**
   * At start: a function whose creation was interrupted while its code was being unpacked (the cloud was killed)
   * is Active now; its code folder, half-written and swept or never written, is unpacked at its first invocation.
   */
  settleInterruptedCreates(): number {
    let settled = 0;
    this.db.transaction(() => {
      for (const row of this.statements.all.all()) {
        const fn = JSON.parse(row.document) as StoredFunction;
        if (fn.readyAt !== UNPACKING) continue;
        fn.readyAt = Date.now();
        this.save(fn);
        settled += 1;
      }
    })();
    return settled;
  }

  async updateFunctionCode(identifier: string, input: UpdateFunctionCodeInput): Promise<FunctionConfiguration> {
    // The update is in progress from the moment it is received: checking and unpacking the package is part of the
    // state delay, as on AWS, rather than added to it.
    const received = Date.now();
    const name = this.resolve(identifier);
    const before = this.require(name);
    this.checkUpdatable(before, input.RevisionId);
    if (input.ImageUri !== undefined) throw new InvalidParameterValueException('The local cloud runs only Zip packages; ImageUri is not supported.');
    const code = await this.options.code.accept(
      { ZipFile: input.ZipFile, S3Bucket: input.S3Bucket, S3Key: input.S3Key, S3ObjectVersion: input.S3ObjectVersion },
      before.codeSha256Hex,
    );
    let replaced: string | undefined;
    const configuration = this.applyUpdate(name, input.RevisionId, (fn) => {
      replaced = fn.codeSha256Hex;
      fn.codeSha256Hex = code.sha256Hex;
      fn.codeSize = code.size;
      // New code that unpacked mends a function whose created package could not be (State Failed → Active).
      delete fn.createFailure;
      if (input.Architectures) fn.architectures = input.Architectures;
    }, received);
    if (replaced !== undefined && replaced !== code.sha256Hex) this.releaseCode(replaced);
    return configuration;
  }

  updateFunctionConfiguration(identifier: string, input: UpdateFunctionConfigurationInput): FunctionConfiguration {
    const name = this.resolve(identifier);
    const before = this.require(name);
    // Field by field, not the body itself: UpdateFunctionConfiguration has no Architectures, so a stray one in the body is not judged.
    validateFunctionSettings({
      Runtime: input.Runtime,
      Handler: input.Handler,
      Role: input.Role,
      MemorySize: input.MemorySize,
      Timeout: input.Timeout,
      Description: input.Description,
      Environment: input.Environment,
      TracingConfig: input.TracingConfig,
    });
    this.checkUpdatable(before, input.RevisionId);
    if (input.Role !== undefined && input.Role !== before.role) this.checkRole(input.Role);
    if (input.Layers && input.Layers.length > 0) throw new InvalidParameterValueException('The local cloud does not support layers.');
    // The course demo's checkbox bug: the first save enabling Active tracing "succeeds" but changes nothing.
    const tracingIgnored = input.TracingConfig?.Mode !== undefined && this.options.faults.take('tracing-toggle');
    return this.applyUpdate(name, input.RevisionId, (fn) => {
      if (input.Runtime !== undefined) fn.runtime = input.Runtime;
      if (input.Handler !== undefined) fn.handler = input.Handler;
      if (input.Role !== undefined) fn.role = input.Role;
      if (input.MemorySize !== undefined) fn.memorySize = input.MemorySize;
      if (input.Timeout !== undefined) fn.timeout = input.Timeout;
      if (input.Description !== undefined) fn.description = input.Description;
      if (input.Environment !== undefined) fn.variables = { ...(input.Environment.Variables ?? {}) };
      if (input.TracingConfig?.Mode !== undefined && !tracingIgnored) fn.tracingMode = input.TracingConfig.Mode === 'Active' ? 'Active' : 'PassThrough';
      if (input.LoggingConfig !== undefined) fn.logging = mergeLogging(fn.logging, fn.name, input.LoggingConfig);
      if (input.EphemeralStorage?.Size !== undefined) fn.ephemeralStorageMb = input.EphemeralStorage.Size;
    });
  }

  deleteFunction(identifier: string, qualifier?: string): void {
    const name = this.resolve(identifier, qualifier);
    const fn = this.require(name);
    this.statements.remove.run(name);
    this.onFunctionChanged(name);
    this.releaseCode(fn.codeSha256Hex);
  }

  /**
   * Frees code no function uses any more, as Lambda discards a replaced or deleted $LATEST: its blob now
   * (FunctionCode.release), its unpacked folder once no environment runs in it (onCodeReleased). Without this every
   * update, and `thumbctl dev` makes one per save, would keep its zip and folder for ever. The reference check and
   * the release happen in one tick, so no function can take up the code in between.
   */
  releaseCode(sha256Hex: string): void {
    if (this.codeIsReferenced(sha256Hex)) return;
    this.options.code.release(sha256Hex);
    this.onCodeReleased(sha256Hex);
  }

  // --- resource policy and tags ---------------------------------------------------------------------------

  addPermission(identifier: string, input: AddPermissionInput & { RevisionId?: string }, qualifier?: string): string {
    const name = this.policyTarget(identifier, qualifier, 'add');
    const statement = buildStatement(input, this.functionArn(name));
    return this.db.transaction(() => {
      const fn = this.require(name);
      if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw new PreconditionFailedException();
      // AWS answers 409 for a reused statement id; so do we.
      if (fn.policy.some((existing) => existing.Sid === statement.Sid)) {
        throw new ResourceConflictException(`The statement id (${statement.Sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
      }
      fn.policy.push(statement);
      fn.revisionId = randomUUID();
      this.save(fn);
      return JSON.stringify(statement);
    })();
  }

  removePermission(identifier: string, statementId: string, revisionId?: string, qualifier?: string): void {
    const name = this.policyTarget(identifier, qualifier, 'remove');
    this.db.transaction(() => {
      const fn = this.get(name);
      if (!fn) throw new ResourceNotFoundException(`No policy found for: ${this.functionArn(name)}`);
      if (revisionId !== undefined && revisionId !== fn.revisionId) throw new PreconditionFailedException();
      if (fn.policy.length === 0) throw new ResourceNotFoundException('No policy is associated with the given resource.');
      const index = fn.policy.findIndex((statement) => statement.Sid === statementId);
      if (index < 0) throw new ResourceNotFoundException(`Statement ${statementId} is not found in resource policy.`);
      fn.policy.splice(index, 1);
      fn.revisionId = randomUUID();
      this.save(fn);
    })();
  }

  /** AWS answers GetPolicy for a missing function or version with its generic not-found message; so do we. */
  getPolicy(identifier: string, qualifier?: string): { Policy: string; RevisionId: string } {
    let fn: StoredFunction | undefined;
    try {
      fn = this.get(this.resolve(identifier, qualifier));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (!fn || fn.policy.length === 0) throw ResourceNotFoundException.resource();
    return { Policy: policyDocument(fn.policy), RevisionId: fn.revisionId };
  }

  listTags(resourceArn: string): Record<string, string> {
    return { ...this.requireByArn(resourceArn).tags };
  }

  tagResource(resourceArn: string, tags: Record<string, string>): void {
    const fn = this.requireByArn(resourceArn);
    fn.tags = mergeFunctionTags(fn.tags, tags);
    this.save(fn);
  }

  untagResource(resourceArn: string, keys: string[]): void {
    const fn = this.requireByArn(resourceArn);
    for (const key of keys) delete fn.tags[key];
    this.save(fn);
  }

  /** The cross-service check S3 makes before accepting a notification configuration and before delivering. */
  allowsS3Invoke(functionArn: string, bucketName: string, bucketOwnerAccount: string): boolean {
    let name: string;
    try {
      name = parseFunctionIdentifier(functionArn).name;
    } catch {
      return false;
    }
    const fn = this.get(name);
    if (!fn) return false;
    return policyAllowsInvoke(fn.policy, {
      service: 's3.amazonaws.com',
      functionArn: this.functionArn(name),
      sourceArn: `arn:aws:s3:::${bucketName}`,
      sourceAccount: bucketOwnerAccount,
    });
  }

  // --- internals ------------------------------------------------------------------------------------------

  private save(fn: StoredFunction): void {
    this.statements.update.run(JSON.stringify(fn), fn.name);
  }

  /** A tagged resource: an unqualified function ARN (AWS tags no alias or version). */
  private requireByArn(resourceArn: string): StoredFunction {
    const { name, qualifier } = parseFunctionIdentifier(resourceArn, 'resource');
    if (qualifier !== undefined) throw new InvalidParameterValueException('Tags on function aliases and versions are not supported. Please specify a function ARN.');
    return this.require(name);
  }

  /**
   * The function a policy call names. Its Qualifier must match the model's pattern and any qualifier in the name;
   * AWS keeps no policy on $LATEST, and answers for an alias (a non-numeric qualifier) that it cannot find the alias.
   */
  private policyTarget(identifier: string, qualifierParameter: string | undefined, change: 'add' | 'remove'): string {
    checkQualifier(qualifierParameter);
    const parsed = parseFunctionIdentifier(identifier);
    if (parsed.qualifier !== undefined && qualifierParameter !== undefined && parsed.qualifier !== qualifierParameter) {
      throw new InvalidParameterValueException('The derived qualifier from the function name does not match the specified qualifier.');
    }
    const qualifier = qualifierParameter ?? parsed.qualifier;
    if (qualifier === '$LATEST' && change === 'add') throw new InvalidParameterValueException('We currently do not support adding policies for $LATEST.');
    if (qualifier !== undefined && qualifier !== '$LATEST' && !/^\d+$/.test(qualifier)) {
      throw new ResourceNotFoundException(`Cannot find alias arn: ${this.functionArn(parsed.name)}:${qualifier}`);
    }
    return this.resolve(identifier, qualifierParameter);
  }

  /** AWS refuses updates while the function is Pending or an update is InProgress (409). */
  private checkUpdatable(fn: StoredFunction, revisionId: string | undefined): void {
    const now = Date.now();
    if (now < fn.readyAt) throw ResourceConflictException.state('Pending');
    if (fn.updateReadyAt !== undefined && now < fn.updateReadyAt) throw ResourceConflictException.updateInProgress(this.functionArn(fn.name));
    if (revisionId !== undefined && revisionId !== fn.revisionId) throw new PreconditionFailedException();
    if (this.options.faults.take('update-conflict')) throw ResourceConflictException.updateInProgress(this.functionArn(fn.name));
  }

  /** @param startedAt - when the update was received: LastUpdateStatus is InProgress until stateDelayMs after it */
  private applyUpdate(name: string, revisionId: string | undefined, change: (fn: StoredFunction) => void, startedAt?: number): FunctionConfiguration {
    const now = Date.now();
    const fn = this.db.transaction(() => {
      const current = this.require(name);
      // Re-checked inside the transaction: another update may have started while the code was being read.
      if (current.updateReadyAt !== undefined && now < current.updateReadyAt) throw ResourceConflictException.updateInProgress(this.functionArn(name));
      if (revisionId !== undefined && revisionId !== current.revisionId) throw new PreconditionFailedException();
      change(current);
      current.revisionId = randomUUID();
      current.generation = randomUUID();
      current.lastModified = now;
      // AWS answers an update InProgress however quick it was; so do we (a millisecond at least) unless delays are off.
      const delay = this.settings.stateDelayMs;
      current.updateReadyAt = delay > 0 ? Math.max((startedAt ?? now) + delay, now + 1) : now;
      this.save(current);
      return current;
    })();
    this.onFunctionChanged(name);
    return this.configuration(fn, now);
  }

  /** The role must exist and trust lambda.amazonaws.com (InvalidParameterValueException otherwise). */
  private checkRole(roleArn: string): void {
    const iam = this.options.iam();
    if (!iam) {
      this.options.log(`lambda: IAM is not available; accepting role ${roleArn} unchecked`);
      return;
    }
    const trustPolicy = iam.roleTrustPolicy(roleArn);
    if (trustPolicy === undefined || !trustsService(trustPolicy, 'lambda.amazonaws.com')) throw InvalidParameterValueException.roleCannotBeAssumed();
  }
}

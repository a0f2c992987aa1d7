// What the provisioning cores share at their edges: the scope every core works in (its options start with it),
// the head of every result document, and what a command hands the cores from an open session
// (Session.provisioning() builds it). No AWS calls.
import type { Reporter } from '../../output.js';
import type { AwsClients } from '../clients.js';
import type { ResolvedSettings, Target } from '../settings.js';
import type { Pace, ProvisionClients } from './aws.js';

/** What setup, status and teardown each work on: the clients, the settings, and where. */
export interface ProvisionScope {
  clients: ProvisionClients;
  settings: ResolvedSettings;
  account: string;
  region: string;
  target: Target;
  reporter?: Reporter;
}

/** The first fields of the setup, status and teardown documents: where, and the resources' names. */
export interface ProvisionedNames {
  target: Target;
  region: string;
  account: string;
  sourceBucket: string;
  thumbnailBucket: string;
  functionName: string;
  roleName: string;
}

/** The head of a result document, in the order the documents print it (functionArn, when given, after functionName). */
export function provisionedNames(scope: ProvisionScope): ProvisionedNames;
export function provisionedNames(scope: ProvisionScope, functionArn: string): ProvisionedNames & { functionArn: string };
export function provisionedNames(scope: ProvisionScope, functionArn?: string): ProvisionedNames & { functionArn?: string } {
  const { settings } = scope;
  return {
    target: scope.target,
    region: scope.region,
    account: scope.account,
    sourceBucket: settings.sourceBucket,
    thumbnailBucket: settings.thumbnailBucket,
    functionName: settings.functionName,
    ...(functionArn === undefined ? {} : { functionArn }),
    roleName: settings.roleName,
  };
}

/** What setup, status, teardown and bench take from an open session (each core reads the fields it needs). */
export interface CoreOptions extends Omit<ProvisionScope, 'reporter'> {
  clients: AwsClients;
  /** The endpoint in use (undefined for AWS, or when each service has its own). */
  endpoint?: string;
  /** True when X-Ray is AWS's own, whose traces are indexed tens of seconds late (false against any other endpoint). */
  xrayOnAws?: boolean;
  /** Built packages and fetched binaries: <state-dir>/cache. */
  cacheDir: string;
  pace: Pace;
}

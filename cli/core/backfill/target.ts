// What a backfill works against: the deployed function (its ARN, and the rules its configuration gives it, read by
// the function's own config parser, so "missing" means what the function would write) and the two buckets. Refuses
// a function that is not there, a configuration the function itself would refuse, and a function that writes into
// the bucket it reads. No listing, no invoking.
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ConfigError, readConfig } from '../../../function/config.js';
import { ExitCode, UserError } from '../../output.js';
import { errorCode } from '../../../shared/retry.js';
import type { FunctionRules } from './expected.js';

export interface BackfillTarget {
  functionName: string;
  functionArn: string;
  sourceBucket: string;
  /** Where the deployed function writes (its THUMBNAIL_BUCKET), which is where thumbnails are looked for. */
  thumbnailBucket: string;
  rules: FunctionRules;
}

/**
 * @param lambda - a Lambda client
 * @param names - the function and source bucket from the settings, and the suffixes that trigger
 * @throws UserError (exit 1) when the function does not exist or its configuration is invalid; (exit 2) when it
 *   would write into the source bucket
 */
export async function resolveBackfillTarget(lambda: LambdaClient, names: { functionName: string; sourceBucket: string; suffixes: readonly string[] }): Promise<BackfillTarget> {
  let configuration;
  try {
    configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.functionName }));
  } catch (error) {
    if (errorCode(error) === 'ResourceNotFoundException') throw new UserError(`function ${names.functionName} does not exist: run \`thumbctl setup\` first`);
    throw error;
  }
  let config;
  try {
    config = readConfig(configuration.Environment?.Variables ?? {});
  } catch (error) {
    if (error instanceof ConfigError) throw new UserError(`the deployed function ${names.functionName} would refuse every object: ${error.message} (run \`thumbctl setup\`)`);
    throw error;
  }
  if (config.thumbnailBucket === names.sourceBucket) {
    throw new UserError(
      `${names.functionName} writes its thumbnails into the source bucket "${names.sourceBucket}": backfilling would trigger it on its own output forever; set a separate thumbnails bucket and run \`thumbctl setup\``,
      ExitCode.usage,
    );
  }
  return {
    functionName: names.functionName,
    functionArn: configuration.FunctionArn ?? names.functionName,
    sourceBucket: names.sourceBucket,
    thumbnailBucket: config.thumbnailBucket,
    rules: { maxSide: config.maxSide, variants: config.variants ?? [], suffixes: names.suffixes },
  };
}

// The AWS managed policies the local cloud knows: the ones a Lambda thumbnailer and its operators attach,
// with their documents as AWS publishes them (default version), so later policy evaluation has real input.
// Data only. Not the full catalogue of ~1,300 policies; an ARN not listed here cannot be attached.

/** One AWS managed policy as GetPolicy / GetPolicyVersion describe it. */
export interface AwsManagedPolicy {
  readonly policyName: string;
  /** `/` or `/service-role/`: part of the ARN. */
  readonly path: string;
  readonly policyId: string;
  readonly description: string;
  readonly defaultVersionId: string;
  readonly createDate: string;
  readonly updateDate: string;
  /** The default version's document. */
  readonly document: PolicyDocumentData;
}

export interface PolicyDocumentData {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Record<string, unknown>[];
}

/** AWS managed policies live in the `aws` pseudo-account, whatever account attaches them. */
export function awsManagedPolicyArn(policy: Pick<AwsManagedPolicy, 'path' | 'policyName'>): string {
  return `arn:aws:iam::aws:policy${policy.path}${policy.policyName}`;
}

/** AWSXRayDaemonWriteAccess and AWSXrayWriteOnlyAccess: AWS publishes the same document under both names. */
const XRAY_WRITE_DOCUMENT: PolicyDocumentData = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: [
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'xray:GetSamplingStatisticSummaries',
      ],
      Resource: ['*'],
    },
  ],
};

const POLICIES: readonly AwsManagedPolicy[] = [
  {
    policyName: 'AWSLambdaBasicExecutionRole',
    path: '/service-role/',
    policyId: 'ANPAJNCQGXC42545SKXIK',
    description: 'Provides write permissions to CloudWatch Logs.',
    defaultVersionId: 'v1',
    createDate: '2015-04-09T15:03:43Z',
    updateDate: '2015-04-09T15:03:43Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: '*',
        },
      ],
    },
  },
  {
    policyName: 'AWSLambdaRole',
    path: '/service-role/',
    policyId: 'ANPAJX4DPCRGTC4NFDUXI',
    description: 'Default policy for AWS Lambda service role.',
    defaultVersionId: 'v1',
    createDate: '2015-02-06T18:41:28Z',
    updateDate: '2015-02-06T18:41:28Z',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: ['*'] }],
    },
  },
  {
    policyName: 'AWSLambdaVPCAccessExecutionRole',
    path: '/service-role/',
    policyId: 'ANPAJVTME3YLVNL72YR2K',
    description: 'Provides minimum permissions for a Lambda function to execute while accessing a resource within a VPC - create, describe, delete network interfaces and write permissions to CloudWatch Logs.',
    defaultVersionId: 'v3',
    createDate: '2016-02-11T23:15:26Z',
    updateDate: '2024-01-05T22:37:32Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSLambdaVPCAccessExecutionPermissions',
          Effect: 'Allow',
          Action: [
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:PutLogEvents',
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Resource: '*',
        },
      ],
    },
  },
  {
    policyName: 'AWSLambdaExecute',
    path: '/',
    policyId: 'ANPAJE5FX7FQZSU5XAKGO',
    description: 'Provides Put, Get access to S3 and full access to CloudWatch Logs.',
    defaultVersionId: 'v1',
    createDate: '2015-02-06T18:40:46Z',
    updateDate: '2015-02-06T18:40:46Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['logs:*'], Resource: 'arn:aws:logs:*:*:*' },
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::*' },
      ],
    },
  },
  {
    policyName: 'AWSXRayDaemonWriteAccess',
    path: '/',
    policyId: 'ANPAIOE47TSQ3ZHCBJGKW',
    description: 'Allow the AWS X-Ray Daemon to relay raw trace segments data to the service\'s API and retrieve sampling data (rules, targets, etc.) to be used by the X-Ray SDK.',
    defaultVersionId: 'v1',
    createDate: '2018-08-28T23:00:33Z',
    updateDate: '2018-08-28T23:00:33Z',
    document: XRAY_WRITE_DOCUMENT,
  },
  {
    policyName: 'AWSXrayWriteOnlyAccess',
    path: '/',
    policyId: 'ANPAIAACM4LMYSRGBCTM6',
    description: 'AWS X-Ray write only managed policy',
    defaultVersionId: 'v1',
    createDate: '2016-12-01T18:19:53Z',
    updateDate: '2016-12-01T18:19:53Z',
    document: XRAY_WRITE_DOCUMENT,
  },
  {
    policyName: 'AmazonS3FullAccess',
    path: '/',
    policyId: 'ANPAIFIR6V6BVTRAHWINE',
    description: 'Provides full access to all buckets via the AWS Management Console.',
    defaultVersionId: 'v2',
    createDate: '2015-02-06T18:40:58Z',
    updateDate: '2021-09-27T20:16:37Z',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }],
    },
  },
  {
    policyName: 'AmazonS3ReadOnlyAccess',
    path: '/',
    policyId: 'ANPAIZTJ4DXE7G6AGAE6M',
    description: 'Provides read only access to all buckets via the AWS Management Console.',
    defaultVersionId: 'v3',
    createDate: '2015-02-06T18:40:59Z',
    updateDate: '2023-08-10T21:31:39Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'],
          Resource: '*',
        },
      ],
    },
  },
  {
    policyName: 'CloudWatchLogsFullAccess',
    path: '/',
    policyId: 'ANPAJ3ZGNWK2R5HW5BQFO',
    description: 'Provides full access to CloudWatch Logs',
    defaultVersionId: 'v2',
    createDate: '2015-02-06T18:40:54Z',
    updateDate: '2023-12-01T01:46:01Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CloudWatchLogsFullAccess',
          Effect: 'Allow',
          Action: ['logs:*', 'cloudwatch:GenerateQuery'],
          Resource: '*',
        },
      ],
    },
  },
  {
    policyName: 'CloudWatchLogsReadOnlyAccess',
    path: '/',
    policyId: 'ANPAJ2YIYDYSNNEHK3VKW',
    description: 'Provides read only access to CloudWatch Logs',
    defaultVersionId: 'v4',
    createDate: '2015-02-06T18:40:55Z',
    updateDate: '2023-12-01T01:48:46Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CloudWatchLogsReadOnlyAccess',
          Effect: 'Allow',
          Action: [
            'logs:Describe*',
            'logs:Get*',
            'logs:List*',
            'logs:StartQuery',
            'logs:StopQuery',
            'logs:TestMetricFilter',
            'logs:FilterLogEvents',
            'logs:StartLiveTail',
            'logs:StopLiveTail',
            'cloudwatch:GenerateQuery',
          ],
          Resource: '*',
        },
      ],
    },
  },
  {
    policyName: 'AdministratorAccess',
    path: '/',
    policyId: 'ANPAIWMBCKSKIEE64ZLYK',
    description: 'Provides full access to AWS services and resources.',
    defaultVersionId: 'v1',
    createDate: '2015-02-06T18:39:46Z',
    updateDate: '2015-02-06T18:39:46Z',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    },
  },
];

/** Every known AWS managed policy by ARN. */
export const AWS_MANAGED_POLICIES: ReadonlyMap<string, AwsManagedPolicy> = new Map(POLICIES.map((policy) => [awsManagedPolicyArn(policy), policy]));

/**
 * The document's text as GetPolicyVersion returns it (before URL-encoding): AWS stores managed policy
 * documents pretty-printed with four-space indentation.
 */
export function awsManagedPolicyDocumentText(policy: AwsManagedPolicy): string {
  let text = documentTexts.get(policy);
  if (text === undefined) {
    text = JSON.stringify(policy.document, null, 4);
    documentTexts.set(policy, text);
  }
  return text;
}

/** The documents never change: each is serialised once (authorization reads them on every call a function makes). */
const documentTexts = new WeakMap<AwsManagedPolicy, string>();

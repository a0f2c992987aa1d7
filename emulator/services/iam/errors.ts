// IAM's errors, one class per AWS error code, with AWS's code, HTTP status and message text.
// Statuses are the ones IAM's service model declares (LimitExceeded is 409 there, not 400).
// Messages are copied from real IAM responses; where we are unsure of the exact text, it is marked.
import { AwsError, NotImplementedError } from '../../core/errors.js';
import { ValidationError } from '../../core/query-protocol.js';

export { NotImplementedError };

/** 404: the named role, policy or attachment does not exist. */
export class NoSuchEntityError extends AwsError {
  constructor(message: string) {
    super('NoSuchEntity', message, 404);
  }

  static role(roleName: string): NoSuchEntityError {
    return new NoSuchEntityError(`The role with name ${roleName} cannot be found.`);
  }

  static rolePolicy(policyName: string): NoSuchEntityError {
    return new NoSuchEntityError(`The role policy with name ${policyName} cannot be found.`);
  }

  /** AttachRolePolicy with an ARN nobody can attach: AWS says it this way for both cases. */
  static notAttachable(policyArn: string): NoSuchEntityError {
    return new NoSuchEntityError(`Policy ${policyArn} does not exist or is not attachable.`);
  }

  static policy(policyArn: string): NoSuchEntityError {
    return new NoSuchEntityError(`Policy ${policyArn} was not found.`);
  }

  /** Wording unverified against AWS. */
  static policyVersion(policyArn: string, versionId: string): NoSuchEntityError {
    return new NoSuchEntityError(`Policy ${policyArn} version ${versionId} does not exist or is not attachable.`);
  }
}

/** 409: a role or policy of that name exists (names are compared without case, as IAM does). */
export class EntityAlreadyExistsError extends AwsError {
  constructor(message: string) {
    super('EntityAlreadyExists', message, 409);
  }

  static role(roleName: string): EntityAlreadyExistsError {
    return new EntityAlreadyExistsError(`Role with name ${roleName} already exists.`);
  }

  static policy(policyName: string): EntityAlreadyExistsError {
    return new EntityAlreadyExistsError(`A policy called ${policyName} already exists. Duplicate names are not allowed.`);
  }
}

/** 409: the entity still has something hanging off it. */
export class DeleteConflictError extends AwsError {
  constructor(message: string) {
    super('DeleteConflict', message, 409);
  }

  static attachedPolicies(): DeleteConflictError {
    return new DeleteConflictError('Cannot delete entity, must detach all policies first.');
  }

  static inlinePolicies(): DeleteConflictError {
    return new DeleteConflictError('Cannot delete entity, must delete policies first.');
  }

  static policyAttached(): DeleteConflictError {
    return new DeleteConflictError('Cannot delete a policy attached to entities.');
  }
}

/** 400: the policy document is not JSON, or not a policy of the kind this call takes. */
export class MalformedPolicyDocumentError extends AwsError {
  constructor(message: string) {
    super('MalformedPolicyDocument', message, 400);
  }
}

/** 400: a parameter breaks the service model's constraints; shared by every Query service. */
export { ValidationError };

/** 400: input IAM accepts syntactically but rejects on meaning (duplicate tag keys, bad markers). */
export class InvalidInputError extends AwsError {
  constructor(message: string) {
    super('InvalidInput', message, 400);
  }
}

/** 409: an IAM quota would be exceeded (policies per role, policy size, tags per role). */
export class LimitExceededError extends AwsError {
  constructor(message: string) {
    super('LimitExceeded', message, 409);
  }
}

// IAM's errors, one class per AWS error code, named as the code, with AWS's HTTP status and message text.
// Statuses are the ones IAM's service model declares (LimitExceeded is 409 there, not 400).
// Messages are copied from real IAM responses; where we are unsure of the exact text, it is marked.
import { awsErrorCode, NotImplemented } from '../../core/errors.js';
import { ValidationError } from '../../core/query-protocol.js';

export { NotImplemented };

/** 404: the named role, policy or attachment does not exist. */
export class NoSuchEntity extends awsErrorCode('NoSuchEntity', 404) {
  static role(roleName: string): NoSuchEntity {
    return new NoSuchEntity(`The role with name ${roleName} cannot be found.`);
  }

  static rolePolicy(policyName: string): NoSuchEntity {
    return new NoSuchEntity(`The role policy with name ${policyName} cannot be found.`);
  }

  /** AttachRolePolicy with an ARN nobody can attach: AWS says it this way for both cases. */
  static notAttachable(policyArn: string): NoSuchEntity {
    return new NoSuchEntity(`Policy ${policyArn} does not exist or is not attachable.`);
  }

  static policy(policyArn: string): NoSuchEntity {
    return new NoSuchEntity(`Policy ${policyArn} was not found.`);
  }

  /** Wording unverified against AWS. */
  static policyVersion(policyArn: string, versionId: string): NoSuchEntity {
    return new NoSuchEntity(`Policy ${policyArn} version ${versionId} does not exist or is not attachable.`);
  }
}

/** 409: a role or policy of that name exists (names are compared without case, as IAM does). */
export class EntityAlreadyExists extends awsErrorCode('EntityAlreadyExists', 409) {
  static role(roleName: string): EntityAlreadyExists {
    return new EntityAlreadyExists(`Role with name ${roleName} already exists.`);
  }

  static policy(policyName: string): EntityAlreadyExists {
    return new EntityAlreadyExists(`A policy called ${policyName} already exists. Duplicate names are not allowed.`);
  }
}

/** 409: the entity still has something hanging off it. */
export class DeleteConflict extends awsErrorCode('DeleteConflict', 409) {
  static attachedPolicies(): DeleteConflict {
    return new DeleteConflict('Cannot delete entity, must detach all policies first.');
  }

  static inlinePolicies(): DeleteConflict {
    return new DeleteConflict('Cannot delete entity, must delete policies first.');
  }

  static policyAttached(): DeleteConflict {
    return new DeleteConflict('Cannot delete a policy attached to entities.');
  }
}

/** 400: the policy document is not JSON, or not a policy of the kind this call takes. */
export class MalformedPolicyDocument extends awsErrorCode('MalformedPolicyDocument', 400) {}

/** 400: a parameter breaks the service model's constraints; shared by every Query service. */
export { ValidationError };

/** 400: input IAM accepts syntactically but rejects on meaning (duplicate tag keys, bad markers). */
export class InvalidInput extends awsErrorCode('InvalidInput', 400) {}

/** 409: an IAM quota would be exceeded (policies per role, policy size, tags per role). */
export class LimitExceeded extends awsErrorCode('LimitExceeded', 409) {}

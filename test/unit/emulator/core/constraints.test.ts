// AWS's model-validation message, built once for every service: quoting, null, plural, a map left unshown, and
// the error classes that carry it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Constraint, constraintErrorCode, constraintMessage, memberName, VALUE_NOT_SHOWN } from '../../../../emulator/core/constraints.js';
import { AwsError } from '../../../../emulator/core/errors.js';

describe('constraint violations', () => {
  it('words one violation as AWS does: the value quoted, the member, the constraint', () => {
    assert.equal(
      constraintMessage([{ member: 'memorySize', value: 64, constraint: Constraint.minValue(128) }]),
      "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
    );
  });

  it('shows an absent value as null, and counts several violations joined by semicolons', () => {
    assert.equal(
      constraintMessage([
        { member: 'functionName', value: undefined, constraint: Constraint.notNull },
        { member: 'role', value: null, constraint: Constraint.notNull },
      ]),
      "2 validation errors detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null; Value null at 'role' failed to satisfy constraint: Member must not be null",
    );
  });

  it('leaves out a value AWS does not show', () => {
    assert.equal(
      constraintMessage([{ member: 'environment.variables', value: VALUE_NOT_SHOWN, constraint: 'Map keys must satisfy constraint: [x]' }]),
      "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [x]",
    );
  });

  it('writes the constraint texts of AWS models', () => {
    assert.equal(Constraint.maxLength(64), 'Member must have length less than or equal to 64');
    assert.equal(Constraint.minLength(2), 'Member must have length greater than or equal to 2');
    assert.equal(Constraint.lengthBetween(1, 512), 'Member must have length between 1 and 512');
    assert.equal(Constraint.maxValue(900), 'Member must have value less than or equal to 900');
    assert.equal(Constraint.pattern('[^\\s]+'), 'Member must satisfy regular expression pattern: [^\\s]+');
    assert.equal(Constraint.oneOf(['None', 'Tail']), 'Member must satisfy enum value set: [None, Tail]');
    assert.equal(memberName('RoleSessionName'), 'roleSessionName');
  });

  it('gives each carrying error class violated() and violations() of its own code', () => {
    class SomeValidation extends constraintErrorCode('SomeValidation', 400) {}
    const one = SomeValidation.violated('timeout', 0, Constraint.minValue(1));
    assert.ok(one instanceof SomeValidation && one instanceof AwsError);
    assert.equal(one.code, 'SomeValidation');
    assert.equal(one.status, 400);
    assert.equal(one.message, "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1");
    const many = SomeValidation.violations([
      { member: 'a', value: 'x', constraint: Constraint.notNull },
      { member: 'b', value: 'y', constraint: Constraint.notNull },
    ]);
    assert.match(many.message, /^2 validation errors detected: /);
  });
});

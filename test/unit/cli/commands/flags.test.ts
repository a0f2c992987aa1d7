// The shared flags: what reaches the settings from a command's parsed options, and help texts that quote the
// defaults the settings apply.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS } from '../../../../cli/core/defaults.js';
import { resolveSettings } from '../../../../cli/core/settings.js';
import { globalOptions, resourceFlags, settingFlags, settingOptions } from '../../../../cli/commands/flags.js';

describe('the flag pickers', () => {
  it('hand only the resource names to the settings: a command\'s own flag of the same name stays out', () => {
    // upload's --timeout is how long it waits (seconds, any size); as the function's timeout 9999 is refused.
    const uploadOptions = { timeout: '9999', functionName: 'mine', key: 'photo-1x1.jpg', wait: true };
    const flags = resourceFlags(uploadOptions);
    assert.deepEqual(Object.keys(flags).sort(), ['functionName', 'roleName', 'sourceBucket', 'thumbnailBucket']);
    assert.equal(resolveSettings(flags, {}).timeout, DEFAULTS.timeout);
    assert.equal(resolveSettings(flags, {}).functionName, 'mine');
  });

  it('hand setup and status every function setting', () => {
    const flags = settingFlags({ memory: '1024', timeout: '30', suffixes: '.png', dryRun: true } as Parameters<typeof settingFlags>[0]);
    const settings = resolveSettings(flags, {});
    assert.equal(settings.memory, 1024);
    assert.equal(settings.timeout, 30);
    assert.deepEqual(settings.suffixes, ['.png', '.PNG']);
    assert.equal('dryRun' in flags, false);
  });
});

describe('the help texts', () => {
  it('quote the defaults the settings apply', () => {
    const help = (options: ReturnType<typeof settingOptions>, flag: string): string => options.find((option) => option.long === flag)?.description ?? '';
    assert.match(help(settingOptions(), '--memory'), new RegExp(`default ${DEFAULTS.memory}\\b`));
    assert.match(help(settingOptions(), '--timeout'), new RegExp(`default ${DEFAULTS.timeout}\\b`));
    assert.match(help(settingOptions(), '--suffixes'), new RegExp(`default ${DEFAULTS.suffixes.join(',').replaceAll('.', '\\.')}\\)`));
    assert.match(help(globalOptions(), '--region'), new RegExp(`else ${DEFAULTS.region}\\)`));
    const settings = resolveSettings({}, {});
    assert.equal(settings.memory, DEFAULTS.memory);
    assert.equal(settings.runtime, DEFAULTS.runtime);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyseTrace, buildTimeline, summarise, type Timeline } from '../../../../../cli/core/traces/analyse.js';
import { buildSegmentTree } from '../../../../../cli/core/traces/segments.js';
import { buildServiceMap } from '../../../../../cli/core/traces/service-map.js';
import { barCells, renderServiceMap, renderSummary, renderTraceTable, renderVariantResizes, renderWaterfall, WATERFALL } from '../../../../../cli/core/traces/render-text.js';
import { FUNCTION_NAME, lambdaTrace, serviceGraph, T0 } from './fixtures.js';

const timeline: Timeline = {
  traceId: '1-6553f100-000000000000000000000001',
  startEpochMs: T0 * 1000,
  totalMs: 100,
  spans: [
    { name: 'fn', depth: 0, origin: 'AWS::Lambda', startMs: 0, endMs: 100, problem: null },
    { name: 'Dwell Time', depth: 1, startMs: 0, endMs: 10, problem: null },
    { name: 'Invocation', depth: 1, startMs: 10, endMs: 95, problem: 'fault' },
    { name: 'resize', depth: 2, startMs: 40, endMs: 40.2, problem: null },
    { name: 'late', depth: 2, startMs: 90, endMs: null, problem: null },
  ],
};

describe('text rendering', () => {
  it('draws a waterfall as stable plain text', () => {
    const text = renderWaterfall(timeline, { width: 20 });
    assert.equal(
      text,
      [
        'trace 1-6553f100-000000000000000000000001  2023-11-14T22:13:20.000Z  100.0 ms',
        '                 0 ms        100.0 ms',
        '                 ├──────────────────┤',
        'fn (AWS::Lambda) ████████████████████      +0.0     100.0 ms',
        '  Dwell Time     ██··················      +0.0      10.0 ms',
        '  Invocation     ··█████████████████·     +10.0      85.0 ms  fault',
        '    resize       ········█···········     +40.0       0.2 ms',
        '    late         ··················██     +90.0  in progress',
      ].join('\n'),
    );
  });

  it('keeps every bar within the width, and the axis aligned with the bars', () => {
    const row = lambdaTrace({ t: T0, n: 1, cold: true, standalone: true });
    const long = buildTimeline(buildSegmentTree(row.trace));
    for (const width of [10, 37, 60, 120]) {
      const lines = renderWaterfall(long, { width }).split('\n');
      const ruler = lines[2] as string;
      const barStart = ruler.indexOf('├');
      assert.equal(ruler.slice(barStart).length, width, 'ruler spans the width');
      for (const line of lines.slice(3)) {
        const bar = [...line].slice(barStart, barStart + width).join('');
        assert.match(bar, new RegExp(`^[${WATERFALL.full}${WATERFALL.empty}]{${width}}$`), line);
        assert.equal([...line][barStart + width], ' ', `nothing glued to the bar: ${line}`);
        assert.ok(bar.includes(WATERFALL.full), 'every span shows at least one cell');
      }
    }
  });

  it('never places a bar outside the axis', () => {
    for (const [start, end, total] of [[0, 0, 100], [100, 100, 100], [150, 200, 100], [-5, 10, 100], [10, null, 100], [0, 10, 0]] as const) {
      const [from, to] = barCells(start, end, total, 30);
      assert.ok(from >= 0 && to <= 30 && to > from, `${start}-${end}/${total}: ${from}-${to}`);
    }
  });

  it('adds a decode column and each variant’s resize when some invocation made variants', () => {
    const sized = analyseTrace(buildSegmentTree(lambdaTrace({ t: T0, n: 1 }).trace), FUNCTION_NAME);
    const variants = analyseTrace(buildSegmentTree(lambdaTrace({ t: T0 + 1, n: 2, key: 'canyon.jpg', variants: ['thumb', 'card'] }).trace), FUNCTION_NAME);
    const lines = renderTraceTable([variants, sized]).split('\n');
    assert.match(lines[0] as string, /^time \(UTC\)\s+key\s+start\s+init\s+dwell\s+invoke\s+s3 get\s+decode\s+resize\s+s3 put\s+overhead\s+total\s+status$/);
    assert.match(lines[1] as string, /canyon\.jpg\s+warm\s+-\s+40\.0\s+1000\.0\s+100\.0\s+200\.0\s+200\.0\s+100\.0\s+50\.0/);
    assert.match(lines[2] as string, /canyon-400x400\.jpg\s+warm\s+-\s+40\.0\s+1000\.0\s+100\.0\s+-\s+640\.0\s+190\.0/);
    assert.equal(renderVariantResizes([variants, sized]), 'resize per variant (ms):\n22:13:21.000  canyon.jpg  decode 200.0 · thumb 100.0 · card 100.0');
    assert.equal(renderVariantResizes([sized]), undefined);
  });

  it('lists invocations with their phases, cold or warm, and the status', () => {
    const rows = [analyseTrace(buildSegmentTree(lambdaTrace({ t: T0, n: 1, cold: true }).trace), FUNCTION_NAME), analyseTrace(buildSegmentTree(lambdaTrace({ t: T0, n: 2, error: true }).trace), FUNCTION_NAME)];
    const lines = renderTraceTable(rows).split('\n');
    assert.match(lines[0] as string, /^time \(UTC\)\s+key\s+start\s+init\s+dwell\s+invoke\s+s3 get\s+resize\s+s3 put\s+overhead\s+total\s+status$/);
    assert.match(lines[1] as string, /^22:13:20\.000\s+canyon-400x400\.jpg\s+cold\s+400\.0\s+40\.0\s+1000\.0\s+100\.0\s+640\.0\s+190\.0\s+50\.0\s+1490\.0\s+ok$/);
    assert.match(lines[2] as string, /warm\s+-\s+40\.0\s+1000\.0\s+890\.0\s+-\s+-\s+50\.0\s+1090\.0\s+error: TimeoutError: Socket timed out/);
    const summary = renderSummary(summarise(rows));
    assert.match(summary, /^2 invocations · 1 error · 1 cold start/);
    assert.match(summary, /nearest-rank/);
    assert.match(summary, /end to end\s+all\s+2\s+1090\.0\s+1490\.0\s+1490\.0\s+1490\.0/);
  });

  it('draws the service map as boxes and arrows with the numbers', () => {
    const map = buildServiceMap(serviceGraph(), { functionName: FUNCTION_NAME, startTime: new Date('2024-01-01T12:00:00Z'), endTime: new Date('2024-01-01T12:15:00Z') });
    const text = renderServiceMap(map);
    assert.match(text, /┌─+┐\n│ client\s+│\n│ avg 1300\.0 ms · 4 req · 1 err · 0\.27\/min │\n└─+┘/);
    assert.match(text, /└──▶ thumbctl-thumbnailer \(AWS::Lambda::Function\)\s+avg 1000\.0 ms · 4 req · 1 err/);
    assert.match(text, /│ S3  AWS::S3\s+│/);
    for (const line of text.split('\n')) assert.doesNotMatch(line, /\u001b/, 'no escape codes');
    assert.match(renderServiceMap({ ...map, nodes: [], edges: [] }), /no services recorded/);
  });
});

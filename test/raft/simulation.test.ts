/**
 * The randomised simulation: many seeded runs of {@link runScenario}. `SCENARIOS=<n>` sets how
 * many (default 1000), `SEED=<n>` replays one run exactly, and a failure prints its seed.
 */
import assert from 'node:assert/strict';
import { runScenario } from './sim/scenario.js';
import type { ScenarioSummary } from './sim/scenario.js';

const replay = process.env['SEED'];
const count = Number(process.env['SCENARIOS'] ?? 1000);
const base = Number(process.env['SEED_BASE'] ?? 1);

describe('Raft simulation', function () {
  this.timeout(0);

  if (replay !== undefined) {
    it(`replays seed ${replay}`, () => {
      const summary = runScenario(Number(replay));
      console.log(JSON.stringify(summary));
    });
    return;
  }

  // Seeds that once found a bug (each fixed since, see git log). The runs they produce change
  // with the code, so they guard only loosely; docs/raft.md lists the bugs.
  const regressions = [61, 108, 538, 1928, 31266, 37348, 41788, 140967];
  it(`passes the seeds that found past bugs (${regressions.join(', ')})`, () => {
    for (const seed of regressions) {
      try {
        runScenario(seed);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        assert.fail(`seed ${seed} failed: ${message}\n  replay with: SEED=${seed} npx mocha test/raft/simulation.test.ts`);
      }
    }
  });

  it(`keeps every safety property and recovers after healing, over ${count} seeded runs`, () => {
    const summaries: ScenarioSummary[] = [];
    for (let i = 0; i < count; i++) {
      const seed = base + i;
      try {
        summaries.push(runScenario(seed));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        assert.fail(`seed ${seed} failed: ${message}\n  replay with: SEED=${seed} npx mocha test/raft/simulation.test.ts`);
      }
    }
    // The runs must have exercised the cluster, not idled.
    const acked = summaries.reduce((n, s) => n + s.acked, 0);
    const reads = summaries.reduce((n, s) => n + s.reads, 0);
    assert.ok(acked > count * 5, `only ${acked} acknowledged writes in ${count} runs`);
    assert.ok(reads > count * 5, `only ${reads} linearizable reads in ${count} runs`);
  });
});

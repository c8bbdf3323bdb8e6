/**
 * The long randomised Raft simulation (`make soak`): runs SCENARIOS seeded scenarios (default
 * 100,000) starting at SEED_BASE (default 1), prints progress and totals, and stops at the first
 * failure with the seed that replays it.
 */
import { runScenario } from '../test/raft/sim/scenario.js';

const count = Number(process.env['SCENARIOS'] ?? 100_000);
const base = Number(process.env['SEED_BASE'] ?? 1);
const started = process.hrtime.bigint();
let acked = 0;
let reads = 0;
let elections = 0;

for (let i = 0; i < count; i++) {
  const seed = base + i;
  try {
    const s = runScenario(seed);
    acked += s.acked;
    reads += s.reads;
    elections += s.elections;
  } catch (err) {
    console.error(`seed ${seed} failed: ${err instanceof Error ? err.message : String(err)}`);
    console.error(`replay with: SEED=${seed} npx mocha test/raft/simulation.test.ts`);
    process.exit(1);
  }
  if ((i + 1) % 1000 === 0) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`${i + 1}/${count} scenarios passed (${seconds.toFixed(0)} s)`);
  }
}
console.log(`${count} passed, 0 failed: ${acked} acknowledged writes, ${reads} linearizable reads, ${elections} leader changes`);

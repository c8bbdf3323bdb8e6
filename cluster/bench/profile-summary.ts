/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and prints where the time went: per function, its
 * self time and its inclusive time (itself plus everything it called, each sample counted once
 * per function even under recursion), as a share of all non-idle samples. The inclusive column
 * is the call-tree reading that a flat self-time list hides.
 *
 * Run: `node --import tsx cluster/bench/profile-summary.ts <file.cpuprofile> [top] [filter]`;
 * `top` defaults to 40; `filter` keeps functions whose name or file contains it.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const [file, topArg, filter] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: profile-summary.ts <file.cpuprofile> [top] [filter]');
  process.exit(2);
}
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const short = url.replace(/^.*\/(node_modules\/|src\/)/, '$1');
  return `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
for (const id of profile.samples) {
  const leaf = byId.get(id)!;
  const name = leaf.callFrame.functionName;
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
    if (name === '(garbage collector)') {
      total++;
      self.set('(garbage collector)', (self.get('(garbage collector)') ?? 0) + 1);
    }
    continue;
  }
  total++;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + 1);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = label(byId.get(at)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
  }
}

const pct = (n: number): string => `${((100 * n) / total).toFixed(1)}%`;
const keep = (name: string): boolean => filter === undefined || name.includes(filter);
console.log(`${total} busy samples`);
console.log('\ninclusive (self + callees):');
for (const [name, n] of [...inclusive].filter(([k]) => keep(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(n).padStart(7)}  ${pct(self.get(name) ?? 0).padStart(7)}  ${name}`);
}
console.log('\nself:');
for (const [name, n] of [...self].filter(([k]) => keep(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(n).padStart(7)}  ${name}`);
}

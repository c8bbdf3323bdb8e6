/** Majority arithmetic for a set of voters. */

/** Votes needed for a majority of `voters` (Raft §5.2). */
export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The highest index that a majority of voters holds, given each voter's match index: the
 * value a quorum has reached. 0 for no voters.
 */
export function quorumIndex(matches: number[]): number {
  if (matches.length === 0) return 0;
  const sorted = [...matches].sort((a, b) => b - a);
  return sorted[quorumSize(matches.length) - 1]!;
}

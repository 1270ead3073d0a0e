// The Node flags ferryd is meant to run with; the packaged launcher (/usr/bin/ferryd), `npm start`,
// the benches and the agent tests all take them from here. V8 reads them at start-up only (setting
// them later from inside the process crashes V8), so they belong on the node command line.
// - --single-threaded-gc: V8's parallel and concurrent GC threads spent more CPU than ferryd's own
//   JavaScript at link speed (hand-offs between threads for a small heap): ~30 % of ferryd's CPU at 2 MiB/s.
// - --max-semi-space-size=1 (MiB): the young generation stays small, so a gateway's RSS does too
//   (500 queued: 81 → 70 MiB) at no measurable CPU cost at link speed.
// Figures: BENCHMARKS.md, "GC on one thread, a small young generation".
export const FERRYD_NODE_FLAGS: readonly string[] = ['--single-threaded-gc', '--max-semi-space-size=1'];

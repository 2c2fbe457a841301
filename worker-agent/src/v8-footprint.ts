// V8 settings of the agent process for a small idle footprint (issue 11: an idle agent under 60 MB RSS). The CLI
// imports this module first, so the flags are set before any other module is loaded: the start-up work (loading
// socket.io-client, zod and pino, building the protocol and params schemas) is what left the heap large.
//
// Measured on the idle agent (connected, heartbeating; /proc smaps, Node 20, see README "Benchmarks"): 81-86 MB
// RSS with the defaults, of which ~26 MB were V8 heap pages holding ~10 MB of live objects. `--optimize-for-size`
// (smaller heap growth steps, more eager memory-reducing GCs) alone: 68 MB. Turbofan off during start-up as well:
// ~61 MB; start-up code runs once, so optimising it only cost memory (compiled code and compiler zones). Off until
// the first run (an idle agent's heartbeats got optimised too, for nothing): ~57 MB.
// `--lite-mode` gave 55 MB but implies --jitless, which disables WebAssembly and Turbofan for good, so a handler
// module doing real work would run interpreted; not taken. `--max-semi-space-size` has no effect once the heap is
// set up, so it cannot be set from here. The cost (loaded 2-core machine): 2,000 no-op runs took 1.6 s of agent CPU
// instead of 1.2-1.4 s, a CPU-bound handler module 3.9-4.6 s instead of 3.0-4.1 s per run (with Turbofan off at
// start-up alone: 3.0-3.7 s, so that part comes from --optimize-for-size). Noisy: load average 5-6 while measured.
import v8 from 'node:v8';

v8.setFlagsFromString('--optimize-for-size');
v8.setFlagsFromString('--no-turbofan');

/**
 * The agent is assigned its first run: Turbofan is back for what runs from now on (handler modules doing real
 * work, a busy agent's run path). Functions made hot before may stay unoptimised; new hot code is optimised as
 * usual (measured).
 */
export function firstRun(): void {
  v8.setFlagsFromString('--turbofan');
}

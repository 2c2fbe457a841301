// V8 settings of a master process for a smaller resident heap (issue 11: master RSS < 300 MB with 10,000 tasks and
// 1,000 agents). Imported first by every entry that starts a master (baton-master, the desktop's master host, the
// benchmark's master), so the setting holds before the master's modules load.
//
// With the defaults, garbage reached three times the live heap (1,000 agents heartbeating: heap used 175 MB for about
// 58 MB of live objects; RSS 301 MB mean, 306 MB max). V8 then sizes the next collection from the live heap times a
// factor of up to 4; `--heap-growing-percent=50` fixes the factor at 1.5: RSS 208 MB mean, 209 MB max, master CPU
// while holding 17 % as before, dispatch 940-949 runs/s (798-897 the same hour without it). `--optimize-for-size`
// went lower (162 MB) but cost about 12 % of dispatch throughput (699-736 runs/s). Measured with `npm run bench --
// memory` and `-- dispatch`, 27 Nov 2026 on an idle 2-core machine.
import v8 from 'node:v8';

v8.setFlagsFromString('--heap-growing-percent=50');

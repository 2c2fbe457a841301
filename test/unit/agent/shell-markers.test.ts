// The escape suite with cgroups turned off: run processes are then found only by the markers they inherit.
import { describe } from 'vitest';
import { claimHome } from '../../../worker-agent/src/processes/instance';
import { escapeSuite } from './run-escapes';

describe.skipIf(process.platform !== 'linux')('run processes that leave the process group, without cgroups', () => {
  claimHome('/nonexistent/baton-agent-marker-test', 'off');
  escapeSuite();
});

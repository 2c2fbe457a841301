// The agent's start-up guard: the BATON_AGENT_CGROUP setting and the record a previous instance left in the
// data folder, which must never make the agent kill anything but that instance's own cgroup.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../worker-agent/src/config';
import { cgroupMode, parseRecord } from '../../../worker-agent/src/processes/watchdog';

const ID = '4dbf9184-6e86-4f00-ac81-bc54cb5f494c';
const record = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ instance: ID, agentPid: 10, reaperPid: 11, cgroup: `/sys/fs/cgroup/x/baton-agent-${ID}`, ...over });

describe('cgroupMode', () => {
  it('is auto unless set to off', () => {
    expect(cgroupMode({})).toBe('auto');
    expect(cgroupMode({ BATON_AGENT_CGROUP: 'off' })).toBe('off');
    expect(cgroupMode({ BATON_AGENT_CGROUP: 'auto' })).toBe('auto');
  });
  it('refuses anything else, naming the variable and the choices', () => {
    expect(() => cgroupMode({ BATON_AGENT_CGROUP: 'no' })).toThrow(ConfigError);
    expect(() => cgroupMode({ BATON_AGENT_CGROUP: 'no' })).toThrow('BATON_AGENT_CGROUP: must be auto or off, not "no"');
  });
});

describe('parseRecord', () => {
  it('reads what an instance recorded; no cgroup or no reaper is fine', () => {
    expect(parseRecord(record())).toEqual({ ok: true, record: JSON.parse(record()) });
    expect(parseRecord(record({ cgroup: null, reaperPid: null }))).toMatchObject({ ok: true, record: { cgroup: null, reaperPid: null } });
  });
  it('refuses a cgroup that is not the instance\'s own, so no foreign cgroup is ever killed', () => {
    expect(parseRecord(record({ cgroup: '/sys/fs/cgroup' }))).toEqual({ ok: false, message: "record.cgroup: cgroup must be the instance's own" });
    expect(parseRecord(record({ cgroup: '/sys/fs/cgroup/baton-agent-other' }))).toMatchObject({ ok: false });
  });
  it('names what is wrong in a damaged record', () => {
    expect(parseRecord('{"instance": ')).toMatchObject({ ok: false, message: expect.stringMatching(/^not JSON: /) });
    expect(parseRecord(record({ agentPid: 'ten' }))).toMatchObject({ ok: false, message: expect.stringMatching(/^record\.agentPid: /) });
  });
});

// Who may join as which worker: pure decisions over a stored enrolment token or credential and what the agent asks
// for. The store reads the rows; these say yes or why not (issue 7, findings 4 and 5).
import type { RefusalCode } from 'baton-agent/protocol';

export interface Refused { code: RefusalCode; message: string }

export interface EnrolmentFacts {
  /** null: a former agent token, good for any group that exists. */
  groupId: string | null;
  singleUse: boolean;
  uses: number;
  expiresAt: number | null;
  revoked: boolean;
}

const ENROL_HINT = 'Issue an enrolment token with `baton-master enrol create --group <group>` (or on the Tokens page) and start the agent with it.';

/** Whether an enrolment token may make a credential for a worker in the group named `groupName` (`group`: null when none has that name). */
export function enrolmentRefusal(
  e: EnrolmentFacts | null, group: { id: string } | null, groupName: string, now: number,
): Refused | null {
  if (!e || e.revoked) return { code: 'bad_token', message: `The enrolment token is unknown or revoked. ${ENROL_HINT}` };
  if (e.expiresAt !== null && e.expiresAt <= now) {
    return { code: 'enrolment_expired', message: `The enrolment token expired at ${new Date(e.expiresAt).toISOString()}. ${ENROL_HINT}` };
  }
  if (e.singleUse && e.uses > 0) return { code: 'enrolment_used', message: `The enrolment token was single-use and has been used. ${ENROL_HINT}` };
  if (e.groupId !== null && e.groupId !== group?.id) {
    return { code: 'group_mismatch', message: `The enrolment token is for another group, not "${groupName}"; pass that token's group with --group.` };
  }
  if (group === null) {
    return { code: 'unknown_group', message: `There is no group "${groupName}"; agents do not create groups. Create it in the console or with the API first.` };
  }
  return null;
}

export interface CredentialFacts { groupName: string; workerName: string; revoked: boolean }

/** Whether a credential may join as `hello.name` in `hello.group`: only as the worker it was made for. */
export function credentialRefusal(c: CredentialFacts | null, hello: { group: string; name: string }): Refused | null {
  if (!c || c.revoked) {
    return {
      code: 'bad_token',
      message: 'The agent credential is unknown or revoked. Delete the file "credential" in the agent\'s data folder and start it with a new enrolment token.',
    };
  }
  if (c.workerName !== hello.name) {
    return { code: 'name_mismatch', message: `This credential belongs to worker "${c.workerName}"; it cannot join as "${hello.name}".` };
  }
  if (c.groupName !== hello.group) {
    return { code: 'group_mismatch', message: `This credential belongs to group "${c.groupName}"; it cannot join "${hello.group}".` };
  }
  return null;
}

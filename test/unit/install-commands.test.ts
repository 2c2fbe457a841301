// "Add worker" install commands (issue 8): quoting that survives hostile names in a real shell, the secret only in
// a here-document or here-string (never an argument `ps` shows), and bad input refused with the field named.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { installCommands, ps, sh } from '../../src-renderer/src/lib/install-commands';

const SECRET = 'bt_enr_0lz1x2y3z4a1b2.Zm9vYmFyYmF6cXV4LXRva2VuX3Rlc3Q';
const request = { masterUrl: 'http://master.example:7070/', group: 'etl', name: 'host-1', secret: SECRET };

describe('install commands', () => {
  it('quotes any group for sh so that the shell hands back exactly the text', () => {
    for (const hostile of ["it's", '$(touch /tmp/pwned) `id` "x"', 'a b\tc', '; rm -rf / #', 'plain-name', "''", 'ü 日本']) {
      const echoed = execFileSync('sh', ['-c', `printf '%s' ${sh(hostile)}`], { encoding: 'utf8' });
      expect(echoed).toBe(hostile);
    }
  });

  it('quotes for PowerShell by doubling every kind of single quote', () => {
    expect(ps("it's")).toBe("'it''s'");
    expect(ps('it\u2019s $env:PATH')).toBe("'it\u2019\u2019s $env:PATH'");
  });

  it('writes the token through a here-document or here-string, never as an argument', () => {
    const made = installCommands(request);
    if (!made.ok) throw new Error(made.message);
    for (const [platform, script] of Object.entries(made.commands)) {
      const lines = script.split('\n');
      const holding = lines.filter((line) => line.includes(SECRET));
      expect(holding, platform).toEqual([SECRET]);
      const at = lines.indexOf(SECRET);
      expect(lines[at - 1], platform).toMatch(platform === 'windows' ? /@'$/ : /<<'BATON_TOKEN'$/);
      expect(lines[at + 1], platform).toBe(platform === 'windows' ? "'@" : 'BATON_TOKEN');
      expect(script).toContain(`--platform ${platform}`);
      expect(script).not.toMatch(/--token /);
    }
    expect(made.commands.systemd).toContain('--master http://master.example:7070 --group etl --name host-1 --token-file /etc/baton-agent/host-1.token');
    expect(made.commands.launchd).toContain('--token-file /usr/local/etc/baton-agent/host-1.token');
    expect(made.commands.windows).toContain("--master 'http://master.example:7070' --group 'etl' --name 'host-1' --token-file $token");
  });

  it('creates the token file readable by its owner alone before the secret is in it', () => {
    const made = installCommands(request);
    if (!made.ok) throw new Error(made.message);
    expect(made.commands.systemd).toContain("sudo sh -c 'umask 077 && cat > /etc/baton-agent/host-1.token' <<'BATON_TOKEN'");
    const win = made.commands.windows.split('\n');
    expect(win.findIndex((l) => l.startsWith('icacls'))).toBeLessThan(win.findIndex((l) => l.startsWith('Set-Content')));
  });

  it('keeps a group with spaces and quotes one word in every shell', () => {
    const made = installCommands({ ...request, group: "night's batch" });
    if (!made.ok) throw new Error(made.message);
    expect(made.commands.systemd).toContain(`--group 'night'\\''s batch'`);
    expect(made.commands.windows).toContain(`--group 'night''s batch'`);
  });

  it('refuses bad input, naming the field', () => {
    expect(installCommands({ ...request, name: '-rf' })).toMatchObject({ ok: false, field: 'name' });
    expect(installCommands({ ...request, name: 'a b' })).toMatchObject({ ok: false, field: 'name' });
    expect(installCommands({ ...request, masterUrl: 'master:7070' })).toMatchObject({ ok: false, field: 'masterUrl' });
    expect(installCommands({ ...request, masterUrl: 'file:///etc/passwd' })).toMatchObject({ ok: false, field: 'masterUrl' });
    expect(installCommands({ ...request, group: 'say "hi"' })).toMatchObject({ ok: false, field: 'group' });
    expect(installCommands({ ...request, group: ' ' })).toMatchObject({ ok: false, field: 'group' });
    expect(installCommands({ ...request, secret: "x\nBATON_TOKEN\nrm -rf /" })).toMatchObject({ ok: false, field: 'secret' });
    expect(installCommands({ ...request, secret: "abc'@def" })).toMatchObject({ ok: false, field: 'secret' });
  });
});

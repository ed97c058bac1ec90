import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const launcher = fileURLToPath(new URL('../../bin/elicense', import.meta.url));

/** Runs the real launcher as a separate process; resolves with its exit code and output. */
function elicense(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(launcher, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

describe('bin/elicense', () => {
  it('exits 0 and prints the parts of a valid license id', async () => {
    const { code, stdout } = await elicense(
      'validate',
      'license-id',
      '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ valid: true, parts: { serial: '2430599', check: 'F' } });
  });

  it('exits 1 and prints the reason for an invalid USCC', async () => {
    const { code, stdout } = await elicense('validate', 'uscc', '11100000000013338X');
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      valid: false,
      reason: "check character is 'X' but 'W' was expected",
      parts: {
        registrationAuthority: '1',
        organisationType: '1',
        areaCode: '100000',
        subjectCode: '000013338',
        check: 'X',
      },
    });
  });

  it('exits 2 with the message on stderr for an unknown kind', async () => {
    const { code, stdout, stderr } = await elicense('validate', 'passport', 'E12345678');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain("argument 'kind'");
  });
});

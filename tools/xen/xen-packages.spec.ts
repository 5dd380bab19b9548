import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { isUserError, type UserError } from '../../plugins/mirage/src/configure/user-error';
import { fakeHostTools, type FakeProgram } from '../../plugins/mirage/src/targets/vm/fake-host-tools';
import { xenHost, XEN_PACKAGES } from './xen-packages';

async function failure(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    expect(isUserError(e)).toBe(true);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

/** apt-cache as Debian 12 answers it, with `version` for every package. */
const aptCache =
  (version: string): FakeProgram =>
  (args) =>
    args[0] === 'depends'
      ? { stdout: Buffer.from('linux-image-amd64\n  Depends: linux-image-6.1.0-9-amd64\n') }
      : {
          stdout: Buffer.from(
            args
              .slice(1)
              .map(
                (p) => `${p}:\n  Installed: (none)\n  Candidate: ${version}\n  Version table:\n     ${version} 500\n`,
              )
              .join(''),
          ),
        };

/** apt-get download writing one .deb per package, and dpkg-deb -x making what the packages hold. */
const aptGet: FakeProgram = (args, cwd) => {
  for (const p of args.slice(1)) fs.writeFileSync(path.join(cwd!, `${p.split('=')[0]}_amd64.deb`), 'deb');
  return {};
};
const dpkgDeb: FakeProgram = (args) => {
  const root = args[2];
  fs.mkdirSync(path.join(root, 'boot'), { recursive: true });
  fs.writeFileSync(path.join(root, 'boot/xen-4.17-amd64.gz'), zlib.gzipSync(Buffer.from('xen multiboot image')));
  fs.writeFileSync(path.join(root, 'boot/vmlinuz-6.1.0-9-amd64'), 'bzImage');
  return {};
};

describe('the Xen packages of the harness', () => {
  let cache: string;
  const saved = process.env.MIRAGE_TS_CACHE;
  beforeEach(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xcache-'));
    process.env.MIRAGE_TS_CACHE = cache;
  });
  afterEach(() => {
    fs.rmSync(cache, { recursive: true, force: true });
    if (saved === undefined) delete process.env.MIRAGE_TS_CACHE;
    else process.env.MIRAGE_TS_CACHE = saved;
  });

  it('downloads the exact versions once into a cache folder named by them, and gunzips the hypervisor', async () => {
    const tools = fakeHostTools({ 'apt-cache': aptCache('4.17.7-1'), 'apt-get': aptGet, 'dpkg-deb': dpkgDeb });
    const host = await xenHost(tools);
    expect(path.dirname(path.dirname(host.root))).toBe(path.join(cache, 'xen'));
    expect(fs.readFileSync(host.hypervisor, 'utf8')).toBe('xen multiboot image');
    expect(host.dom0Kernel).toBe(path.join(host.root, 'boot/vmlinuz-6.1.0-9-amd64'));
    expect(host.dom0Modules).toBe(path.join(host.root, 'lib/modules/6.1.0-9-amd64'));
    const download = tools.calls.find((c) => c.file === 'apt-get');
    expect(download?.args).toEqual([
      'download',
      ...[...XEN_PACKAGES, 'linux-image-6.1.0-9-amd64'].map((p) => `${p}=4.17.7-1`),
    ]);

    const again = await xenHost(tools);
    expect(again.root).toBe(host.root);
    expect(tools.calls.filter((c) => c.file === 'apt-get')).toHaveLength(1);

    // A new point release is fetched beside the old one.
    const newer = fakeHostTools({ 'apt-cache': aptCache('4.17.8-1'), 'apt-get': aptGet, 'dpkg-deb': dpkgDeb });
    expect((await xenHost(newer)).root).not.toBe(host.root);
  });

  it('says which download failed and how to fix it, and leaves no half-filled cache', async () => {
    const tools = fakeHostTools({
      'apt-cache': aptCache('4.17.7-1'),
      'apt-get': () => ({
        status: 100,
        stderr: "E: Can't find a source to download version '4.17.7-1' of 'xen-utils-4.17:amd64'\n",
      }),
      'dpkg-deb': dpkgDeb,
    });
    const e = await failure(xenHost(tools));
    expect(e.problem).toMatch(
      /^cannot fetch the Xen packages: `apt-get download xen-hypervisor-4\.17-amd64=4\.17\.7-1 .*` failed: E: Can't find a source to download version '4\.17\.7-1' of 'xen-utils-4\.17:amd64'$/,
    );
    expect(e.details.fix).toMatch(/^run `apt-get update`/);
    expect(fs.readdirSync(path.join(cache, 'xen'))).toEqual([]);
  });

  it('says so when the package lists do not know Xen', async () => {
    const tools = fakeHostTools({
      'apt-cache': (args) =>
        args[0] === 'depends'
          ? aptCache('1')(args, undefined, undefined)
          : {
              stdout: Buffer.from(
                args
                  .slice(1)
                  .map((p) => `${p}:\n  Installed: (none)\n  Candidate: (none)\n`)
                  .join(''),
              ),
            },
    });
    expect((await failure(xenHost(tools))).problem).toBe(
      'cannot fetch the Xen packages: the package lists know no xen-hypervisor-4.17-amd64',
    );
  });
});

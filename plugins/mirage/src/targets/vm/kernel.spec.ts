import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isUserError } from '../../configure/user-error';
import { fakeHostTools } from './fake-host-tools';
import { findKernel } from './kernel';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(isUserError(e)).toBe(true);
    return e as Error;
  }
  throw new Error('expected a UserError');
}

describe('finding the kernel', () => {
  let cache: string;
  const saved = process.env.MIRAGE_TS_CACHE;
  beforeEach(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-kcache-'));
    process.env.MIRAGE_TS_CACHE = cache;
  });
  afterEach(() => {
    fs.rmSync(cache, { recursive: true, force: true });
    if (saved === undefined) delete process.env.MIRAGE_TS_CACHE;
    else process.env.MIRAGE_TS_CACHE = saved;
  });

  it('fetches the cloud kernel with apt-get download into the cache, once', async () => {
    const tools = fakeHostTools({
      'apt-cache': () => ({
        stdout: Buffer.from('linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-9-cloud-amd64\n'),
      }),
      'apt-get': (args, cwd) => {
        fs.writeFileSync(path.join(cwd!, `${args[1]}_6.1_amd64.deb`), 'deb');
        return {};
      },
      'dpkg-deb': (args) => {
        const root = args[2];
        fs.mkdirSync(path.join(root, 'boot'), { recursive: true });
        fs.writeFileSync(path.join(root, 'boot', 'vmlinuz-6.1.0-9-cloud-amd64'), 'bzImage');
        fs.mkdirSync(path.join(root, 'lib', 'modules', '6.1.0-9-cloud-amd64', 'kernel'), { recursive: true });
        return {};
      },
    });
    const lines: string[] = [];
    const k = await findKernel({}, tools, (l) => lines.push(l));
    expect(k.kernel).toBe(
      path.join(cache, 'kernels', 'linux-image-6.1.0-9-cloud-amd64', 'root', 'boot', 'vmlinuz-6.1.0-9-cloud-amd64'),
    );
    expect(fs.readFileSync(k.kernel, 'utf8')).toBe('bzImage');
    expect(fs.existsSync(path.join(k.modulesDir, 'kernel'))).toBe(true);
    expect(lines.join('\n')).toMatch(/fetching the kernel linux-image-6\.1\.0-9-cloud-amd64/);
    expect(tools.calls.map((c) => c.file)).toEqual(['apt-cache', 'apt-get', 'dpkg-deb']);
    expect(tools.calls[1].args).toEqual(['download', 'linux-image-6.1.0-9-cloud-amd64']);

    const again = await findKernel({}, tools, () => undefined);
    expect(again.kernel).toBe(k.kernel);
    expect(tools.calls.map((c) => c.file)).toEqual(['apt-cache', 'apt-get', 'dpkg-deb', 'apt-cache']);
  });

  it('uses a kernel fetched earlier when the package tools are gone', async () => {
    const tree = path.join(cache, 'kernels', 'linux-image-6.1.0-8-cloud-amd64');
    fs.mkdirSync(path.join(tree, 'root', 'boot'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'root', 'boot', 'vmlinuz-6.1.0-8-cloud-amd64'), 'k');
    fs.writeFileSync(path.join(tree, '.complete'), 'x.deb\n');
    const lines: string[] = [];
    const k = await findKernel({}, fakeHostTools({}), (l) => lines.push(l));
    expect(k.kernel).toBe(path.join(tree, 'root', 'boot', 'vmlinuz-6.1.0-8-cloud-amd64'));
    expect(lines.join('\n')).toMatch(/using linux-image-6\.1\.0-8-cloud-amd64, fetched earlier/);
  });

  it('says how to get a kernel when the host has no Debian package tools', async () => {
    const e = await failure(findKernel({}, fakeHostTools({}), () => undefined));
    expect(e.message).toMatch(/no kernel available: this host has no Debian package tools/);
    expect(e.message).toMatch(/fix: .*apt-get update.*--kernel=\/path\/to\/vmlinuz --modules=/);
  });

  it('says so when the download fails, and leaves nothing half-fetched', async () => {
    const tools = fakeHostTools({
      'apt-cache': () => ({ stdout: Buffer.from('  Depends: linux-image-6.1.0-9-cloud-amd64\n') }),
      'apt-get': () => ({
        status: 100,
        stderr: 'E: Failed to fetch http://deb.debian.org/... Temporary failure resolving\n',
      }),
    });
    const e = await failure(findKernel({}, tools, () => undefined));
    expect(e.message).toMatch(/apt-get download linux-image-6\.1\.0-9-cloud-amd64` failed: E: Failed to fetch/);
    expect(fs.readdirSync(path.join(cache, 'kernels'))).toEqual([]);
  });

  it('says so when the package lists do not know the kernel', async () => {
    const tools = fakeHostTools({ 'apt-cache': () => ({ status: 100, stderr: 'E: No packages found' }) });
    const e = await failure(findKernel({}, tools, () => undefined));
    expect(e.message).toMatch(/package lists know no linux-image-cloud-amd64 \(E: No packages found\)/);
  });

  it('uses --kernel and finds the modules beside an unpacked .deb', async () => {
    const root = path.join(cache, 'own');
    fs.mkdirSync(path.join(root, 'boot'), { recursive: true });
    fs.mkdirSync(path.join(root, 'lib', 'modules', '6.9-x'), { recursive: true });
    fs.writeFileSync(path.join(root, 'boot', 'vmlinuz-6.9-x'), 'k');
    const tools = fakeHostTools({});
    const k = await findKernel({ kernel: path.join(root, 'boot', 'vmlinuz-6.9-x') }, tools, () => undefined);
    expect(k.modulesDir).toBe(path.join(root, 'lib', 'modules', '6.9-x'));
    expect(tools.calls).toEqual([]);
  });

  it('refuses a --kernel that does not exist, or one without modules', async () => {
    const missing = await failure(findKernel({ kernel: '/nonexistent/vmlinuz' }, fakeHostTools({}), () => undefined));
    expect(missing.message).toMatch(/the kernel \/nonexistent\/vmlinuz given with --kernel does not exist/);
    const bare = path.join(cache, 'bzImage');
    fs.writeFileSync(bare, 'k');
    const noModules = await failure(findKernel({ kernel: bare }, fakeHostTools({}), () => undefined));
    expect(noModules.message).toMatch(/no modules folder for the kernel/);
    expect(noModules.message).toMatch(/fix: pass --modules=/);
  });
});

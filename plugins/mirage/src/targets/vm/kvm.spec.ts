import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fakeHostTools } from './fake-host-tools';
import { chooseAccel } from './kvm';

describe('choosing KVM or software emulation', () => {
  it('falls back to TCG with a one-line notice when /dev/kvm does not exist', async () => {
    const choice = await chooseAccel('auto', 'qemu-system-x86_64', fakeHostTools({}), '/nonexistent/kvm');
    expect(choice.accel).toBe('tcg');
    expect(choice.notice).toMatch(
      /^KVM is not usable \(\/nonexistent\/kvm does not exist\): using software emulation \(TCG\)/,
    );
    expect(choice.notice).not.toContain('\n');
  });

  it('falls back when QEMU cannot start with the KVM device', async () => {
    const dev = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-kvm-')), 'kvm');
    fs.writeFileSync(dev, '');
    try {
      const qemu = fakeHostTools({
        qemu: () => ({ status: 1, stderr: 'qemu-system-x86_64: failed to initialize kvm: Function not implemented\n' }),
      });
      const choice = await chooseAccel('auto', 'qemu', qemu, dev);
      expect(choice).toEqual({ accel: 'tcg', notice: expect.stringContaining('failed to initialize kvm') });
      const working = fakeHostTools({ qemu: () => ({ status: 0 }) });
      expect(await chooseAccel('auto', 'qemu', working, dev)).toEqual({ accel: 'kvm' });
    } finally {
      fs.rmSync(path.dirname(dev), { recursive: true, force: true });
    }
  });

  it('uses TCG without probing when asked to', async () => {
    const tools = fakeHostTools({});
    expect(await chooseAccel('tcg', 'qemu', tools)).toEqual({ accel: 'tcg' });
    expect(tools.calls).toEqual([]);
  });
});

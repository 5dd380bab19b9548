import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { XenbusXenstore } from './xenbus';

describe('XenbusXenstore outside a Xen guest', () => {
  it('says that it needs a Xen guest when the device is missing', async () => {
    await expect(XenbusXenstore.connect('/nonexistent/xen/xenbus')).rejects.toThrow(
      'xenstore: /nonexistent/xen/xenbus does not exist: the xenstore device needs a Xen guest (build with --target=xen and run the image under Xen)',
    );
  });

  it('writes whole messages to the device file and closes it on disconnect', async () => {
    // A regular file stands in for the device: what the client writes is exactly one request.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xenbus-'));
    const file = path.join(dir, 'xenbus');
    fs.writeFileSync(file, '');
    try {
      const xs = await XenbusXenstore.connect(file);
      // The file has nothing to read: the stream ends, which fails the request instead of hanging.
      const r = await xs.read('domid');
      expect(r).toEqual({
        ok: false,
        error: { kind: 'io', message: 'xenstore connection lost: the device ended the stream' },
      });
      const written = fs.readFileSync(file);
      expect([...written.subarray(0, 16)]).toEqual([2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0]);
      expect(written.subarray(16).toString('latin1')).toBe('domid\0');
      await xs.disconnect();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

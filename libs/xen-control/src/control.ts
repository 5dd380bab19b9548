import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { DeviceError, Result, XenControl, XenControlMessage } from '@mirage-ts/types';
import { XenbusXenstore } from '@mirage-ts/xenstore/xenbus';

/** What the device needs of a xenstore connection (the xenstore device's client has it). */
export interface ControlStore {
  read(path: string): Promise<Result<string, { readonly message: string }>>;
  watch(
    path: string,
    onChange: (changed: string) => void,
  ): Promise<Result<{ cancel(): Promise<unknown> }, { readonly message: string }>>;
  disconnect(): Promise<void>;
}

/**
 * The toolstack's requests, as the guest kernel passes them on. Linux
 * watches `control/shutdown` itself (drivers/xen/manage.c) and acknowledges
 * each request at once, so a second watcher would race it; instead:
 *
 * - power-off and reboot: the kernel runs the image's /sbin/poweroff or
 *   /sbin/reboot, which write the request to `<dir>/shutdown` and send this
 *   process SIGTERM;
 * - suspend (`xl save`): the kernel freezes this process, suspends and, once
 *   restored, registers every xenstore watch again, and the store fires each
 *   one once. A watch on `domid` (which nothing writes) firing after its
 *   first time is that resume; the domain id tells a restored domain from a
 *   cancelled suspend.
 */
export class XenControlDevice implements XenControl {
  private readonly queue: XenControlMessage[] = [];
  private readonly waiters: ((m: XenControlMessage) => void)[] = [];
  private domidFires = 0;
  private knownDomid = -1;
  private watch: { cancel(): Promise<unknown> } | undefined;
  private readonly onSignal = () => void this.shutdownRequested();

  private constructor(
    private readonly store: ControlStore,
    private readonly dir: string,
  ) {}

  /** The device in a Xen guest, over the kernel's /dev/xen/xenbus. */
  static async connect(dir: string): Promise<XenControlDevice> {
    return XenControlDevice.over(await XenbusXenstore.connect(), dir);
  }

  /** The device over a xenstore connection; `dir` is where the image's /init and /sbin/poweroff meet it. */
  static async over(store: ControlStore, dir: string): Promise<XenControlDevice> {
    const d = new XenControlDevice(store, dir);
    const id = await d.domid();
    if (!id.ok) throw new Error(`cannot read this domain's id from xenstore: ${id.error.message}`);
    d.knownDomid = id.value;
    process.on('SIGTERM', d.onSignal);
    const w = await store.watch('domid', () => void d.domidFired());
    if (!w.ok) {
      process.removeListener('SIGTERM', d.onSignal);
      throw new Error(`cannot watch domid in xenstore: ${w.error.message}`);
    }
    d.watch = w.value;
    return d;
  }

  next(): Promise<XenControlMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async domid(): Promise<Result<number, DeviceError>> {
    const r = await this.store.read('domid');
    if (!r.ok) return { ok: false, error: { kind: 'io', message: `xenstore domid: ${r.error.message}` } };
    const id = Number(r.value);
    if (!/^\d+$/.test(r.value) || !Number.isSafeInteger(id))
      return { ok: false, error: { kind: 'io', message: `xenstore domid is not a domain id: '${r.value}'` } };
    return { ok: true, value: id };
  }

  async shutdown(how: 'poweroff' | 'reboot'): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await writeAtomically(path.join(this.dir, 'shutdown'), `${how}\n`);
  }

  async disconnect(): Promise<void> {
    process.removeListener('SIGTERM', this.onSignal);
    await this.watch?.cancel();
    await this.store.disconnect();
  }

  private deliver(m: XenControlMessage): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(m);
    else this.queue.push(m);
  }

  private async shutdownRequested(): Promise<void> {
    // /sbin/reboot writes `reboot`; /sbin/poweroff (the toolstack's poweroff or halt) writes `poweroff`.
    const how = await fs.readFile(path.join(this.dir, 'shutdown'), 'utf8').catch(() => '');
    this.deliver({ message: how.trim() === 'reboot' ? 'reboot' : 'poweroff' });
  }

  private async domidFired(): Promise<void> {
    // The first fire is the store's answer to the registration itself.
    if (++this.domidFires === 1) return;
    const id = await this.domid();
    const cancelled = id.ok && id.value === this.knownDomid;
    if (id.ok) this.knownDomid = id.value;
    this.deliver({ message: 'suspend', cancelled });
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await fs.writeFile(`${file}.new`, text);
  await fs.rename(`${file}.new`, file);
}

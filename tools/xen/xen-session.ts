import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeCpio } from '../../plugins/mirage/src/targets/vm/cpio';
import { realHostTools, type HostTools } from '../../plugins/mirage/src/targets/vm/host-tools';
import { QEMU_BINARY } from '../../plugins/mirage/src/targets/vm/qemu-command';
import { DOM0_MEMORY_MB, runSerial, XEN_MEMORY_MB, xenQemuArgs, type XenBoot } from './boot-under-xen';
import { DOM0_PATHS } from './dom0-init';
import { dom0Entries } from './dom0-initramfs';
import { DEFAULT_DOM0_NETWORK, type Dom0Network } from './dom0-network';
import type { SerialLine } from './serial-lines';
import { substituteXl } from './xl-config';
import { xenHost } from './xen-packages';

/** One xen build a session can start as a domain. */
export interface SessionDomain {
  /** The domain's name in dom0 (NAME of the xl file); unique in the session. */
  readonly name: string;
  /** dist/apps/<app>/xen of the build (or a copy of it). */
  readonly distDir: string;
  /** Host files for the domain's @BLOCK:file@ variables, by file name. */
  readonly disks?: Readonly<Record<string, string>>;
  /** The domain's memory instead of the image's default (`xl save` writes all of it to dom0's tmpfs). */
  readonly memoryMb?: number;
}

export interface XenSessionOptions {
  readonly domains: readonly SessionDomain[];
  /** dom0's bridge, address and DHCP pool; the seed's 10.0.0.1/24 on xenbr0 by default. */
  readonly network?: Dom0Network;
  readonly onLine?: (line: SerialLine, atMs: number) => void;
  /** The whole session: QEMU is killed when it is over. */
  readonly timeoutMs?: number;
  readonly busybox?: string;
  readonly log?: (line: string) => void;
  readonly tools?: HostTools;
  readonly verboseXl?: boolean;
}

export type TimedLine = SerialLine & { readonly atMs: number };

/** A TCP connection from dom0 (`XenSession.openTcp`). */
export interface Dom0Connection {
  /** Resolves once nc has connected. */
  connected(timeoutMs?: number): Promise<void>;
  /** Sends `text` and a newline (one word or more, no quotes or shell characters). */
  send(text: string): Promise<void>;
  /** The lines that came back so far. */
  received(): string[];
  waitForLine(text: string, timeoutMs?: number): Promise<void>;
  /** Ends nc; resolves with its command's result. */
  close(): Promise<CommandResult>;
  /** nc's end, whenever it comes (the peer closing, say). */
  readonly done: Promise<CommandResult>;
}

export interface CommandResult {
  readonly status: number;
  /** The command's output (stdout and stderr), line by line. */
  readonly lines: readonly string[];
  /** From when the command was sent to its exit report. */
  readonly ms: number;
}

/**
 * One boot of Xen in QEMU that a test scripts: dom0 comes up with the
 * network (bridge, DHCP), then runs the commands it is sent one line each
 * over a virtio-serial port, their output coming back on the serial port
 * marked `dom0[N]| `. Domains are created by name (`create`), each with its
 * console marked `domU[NAME]| `. Several scenarios share the one boot, which
 * is what makes Xen-in-QEMU affordable in tests.
 */
export class XenSession {
  readonly lines: TimedLine[] = [];
  private waiters: { test: (l: TimedLine) => boolean; resolve: (l: TimedLine) => void }[] = [];
  private nextCommand = 1;
  private nextConnection = 1;
  private ended = false;

  private constructor(
    private readonly control: Promise<net.Socket>,
    readonly finished: Promise<XenBoot>,
    private readonly abort: AbortController,
    readonly startedAt: bigint,
  ) {
    void finished.then(
      () => (this.ended = true),
      () => (this.ended = true),
    );
  }

  static async start(o: XenSessionOptions): Promise<XenSession> {
    const tools = o.tools ?? realHostTools;
    const host = await xenHost(tools, o.log);
    const network = o.network ?? DEFAULT_DOM0_NETWORK;
    const names = new Set<string>();
    const domuFiles = new Map<string, string>();
    const domainXl = new Map<string, string>();
    const disks: { name: string; file: string; serial: string; loop: string }[] = [];
    let memoryMb = 0;
    for (const d of o.domains) {
      if (!/^[A-Za-z0-9_.-]+$/.test(d.name) || names.has(d.name))
        throw new Error(`session domain names must be unique words: ${d.name}`);
      names.add(d.name);
      const info = JSON.parse(fs.readFileSync(path.join(d.distDir, 'image.json'), 'utf8')) as {
        kernel: string;
        initramfs: string;
        rootDisk: string;
        memoryMb: number;
      };
      const xlIn = fs.readdirSync(d.distDir).find((f) => f.endsWith('.xl.in'));
      if (!xlIn) throw new Error(`${d.distDir} has no NAME.xl.in: build it with --target=xen`);
      const template = fs.readFileSync(path.join(d.distDir, xlIn), 'utf8');
      // Room for the largest: domains run in turn (together they would only share the one emulated CPU).
      const domainMb = d.memoryMb ?? info.memoryMb;
      memoryMb = Math.max(memoryMb, domainMb);
      const ownDisks = [['@ROOT@', path.join(d.distDir, info.rootDisk)] as const, ...Object.entries(d.disks ?? {})].map(
        ([name, file]) => {
          if (!fs.existsSync(file)) throw new Error(`the disk ${file} for ${name} of ${d.name} does not exist`);
          // QEMU locks each file it attaches: a second domain needs its own copy.
          const twice = disks.find((x) => x.file === path.resolve(file));
          if (twice)
            throw new Error(
              `the disk ${file} (${name} of ${d.name}) is attached already: give each session domain its own copy of the build`,
            );
          const i = disks.length;
          const disk = { name, file: path.resolve(file), serial: `xenharness${i}`, loop: `/dev/loop${i}` };
          disks.push(disk);
          return disk;
        },
      );
      const inDom0 = (f: string) => `${d.name}/${f}`;
      domuFiles.set(inDom0(info.kernel), path.join(d.distDir, info.kernel));
      domuFiles.set(inDom0(info.initramfs), path.join(d.distDir, info.initramfs));
      // Every network the template names goes on dom0's one bridge.
      const networks = Object.fromEntries(
        [...template.matchAll(/@NETWORK:([^@]*)@/g)].map((m) => [m[1], network.bridge] as const),
      );
      domainXl.set(
        d.name,
        substituteXl(
          template,
          {
            name: d.name,
            kernel: `/${DOM0_PATHS.domuDir}/${inDom0(info.kernel)}`,
            ramdisk: `/${DOM0_PATHS.domuDir}/${inDom0(info.initramfs)}`,
            memoryMb: domainMb,
            root: ownDisks[0].loop,
            blocks: Object.fromEntries(ownDisks.slice(1).map((x) => [x.name, x.loop])),
            networks,
          },
          { tcg: true },
        ),
      );
    }
    const entries = await dom0Entries(
      {
        host,
        busybox: o.busybox ?? '/bin/busybox',
        init: { domain: '', domainTimeoutS: 30, disks, network, session: true },
        domainXl,
        domuFiles,
      },
      tools,
    );
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-session-'));
    const cleanup = () => fs.rmSync(work, { recursive: true, force: true });
    try {
      const initrd = path.join(work, 'dom0.cpio');
      fs.writeFileSync(initrd, writeCpio(entries));
      // QEMU connects to this socket as it starts; dom0 reads it as its control port.
      const socketPath = path.join(work, 'control.sock');
      const server = net.createServer();
      const control = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
      await new Promise<void>((resolve, reject) => server.listen(socketPath, resolve).once('error', reject));
      void control.then((s) => {
        s.on('error', () => undefined);
        server.close();
      });
      const args = xenQemuArgs({
        hypervisor: host.hypervisor,
        dom0Kernel: host.dom0Kernel,
        dom0Initrd: initrd,
        memoryMb: DOM0_MEMORY_MB + memoryMb + XEN_MEMORY_MB,
        disks,
        verboseXl: o.verboseXl,
        controlSocket: socketPath,
      });
      // Lines come asynchronously, after the session below exists.
      const sink: { session?: XenSession } = {};
      const abort = new AbortController();
      const startedAt = process.hrtime.bigint();
      const finished = runSerial(
        QEMU_BINARY,
        args,
        o.timeoutMs ?? 900_000,
        (line, atMs) => {
          sink.session?.take({ ...line, atMs });
          o.onLine?.(line, atMs);
        },
        abort.signal,
      ).finally(() => {
        server.close();
        cleanup();
      });
      sink.session = new XenSession(control, finished, abort, startedAt);
      return sink.session;
    } catch (e) {
      cleanup();
      throw e;
    }
  }

  private take(line: TimedLine): void {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Milliseconds since QEMU was launched. */
  now(): number {
    return Number(process.hrtime.bigint() - this.startedAt) / 1e6;
  }

  /** The first line (already seen or to come, after index `from`) that passes `test`. */
  waitFor(test: (l: TimedLine) => boolean, timeoutMs: number, what = 'a line', from = 0): Promise<TimedLine> {
    const seen = this.lines.slice(from).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no ${what} within ${timeoutMs} ms; last lines:\n${this.tail()}`));
      }, timeoutMs);
      const done = (l: TimedLine) => {
        clearTimeout(timer);
        resolve(l);
      };
      this.waiters.push({ test, resolve: done });
      void this.finished.then(() => {
        if (this.waiters.some((w) => w.resolve === done)) {
          clearTimeout(timer);
          reject(new Error(`QEMU ended before ${what}; last lines:\n${this.tail()}`));
        }
      });
    });
  }

  /** dom0 is up, its network set and it reads commands. */
  ready(timeoutMs = 300_000): Promise<TimedLine> {
    return this.waitFor((l) => l.from === 'harness' && l.text === 'ready for commands', timeoutMs, 'ready line');
  }

  /** Runs a shell command in dom0 (in the background there: several may run at once). */
  async dom0(command: string, timeoutMs = 120_000): Promise<CommandResult> {
    return (await this.startDom0(command, timeoutMs)).done;
  }

  /**
   * Starts a dom0 command and returns as soon as it is sent: its number (its
   * output lines carry it) and its end, for commands that run while others do.
   */
  async startDom0(command: string, timeoutMs = 120_000): Promise<{ id: number; done: Promise<CommandResult> }> {
    if (/[\n\t]/.test(command)) throw new Error(`a dom0 command is one line without tabs: ${command}`);
    if (this.ended) throw new Error(`QEMU has ended; cannot run ${command}`);
    const id = this.nextCommand++;
    const from = this.lines.length;
    const sentAt = this.now();
    (await this.control).write(`${id}\t${command}\n`);
    const exit = new RegExp(`^command ${id} exited with status (\\d+)$`);
    const done = this.waitFor(
      (l) => l.from === 'harness' && exit.test(l.text),
      timeoutMs,
      `end of dom0 command ${id} (${command})`,
      from,
    ).then((end) => ({
      status: Number(exit.exec(end.text)![1]),
      lines: this.output(id, from),
      ms: end.atMs - sentAt,
    }));
    // A caller that only waits for some of the output must not see an unhandled rejection.
    done.catch(() => undefined);
    return { id, done };
  }

  /** The output of dom0 command `id` so far. */
  output(id: number, from = 0): string[] {
    return this.lines.slice(from).flatMap((l) => (l.from === 'dom0' && l.command === id ? [l.text] : []));
  }

  /** A dom0 command that must succeed: its output, or an error with it. */
  private async must(command: string, timeoutMs?: number): Promise<CommandResult> {
    const r = await this.dom0(command, timeoutMs);
    if (r.status !== 0) throw new Error(`${command} failed (status ${r.status}):\n${r.lines.join('\n')}`);
    return r;
  }

  /** The domain's id in dom0 (`xl domid`). */
  async domid(name: string): Promise<number> {
    const r = await this.must(`xl domid ${name}`);
    return Number(r.lines.find((l) => /^\d+$/.test(l)));
  }

  /**
   * `xl shutdown -w`: the toolstack writes `poweroff` to the domain's
   * `control/shutdown` and waits until the domain has shut down; then until
   * xl has cleaned it up (it is listed, shut down, a moment longer).
   */
  shutdown(name: string, timeoutMs = 180_000): Promise<CommandResult> {
    return this.must(
      `xl shutdown -w ${name} && for i in $(seq 600); do xl list ${name} > /dev/null 2>&1 || exit 0; sleep 0.1; done; exit 1`,
      timeoutMs,
    );
  }

  /**
   * `xl reboot`: the toolstack writes `reboot` to \`control/shutdown\`; when the
   * domain has rebooted, xl starts it again under a new id, whose console is
   * then shown as the first one was. Resolves with both ids.
   */
  async reboot(name: string, timeoutMs = 180_000): Promise<{ before: number; after: number }> {
    const before = await this.domid(name);
    await this.must(`xl reboot ${name}`);
    return { before, after: await this.attachConsole(name, before, timeoutMs) };
  }

  /** `xl destroy`: the domain ends at once, without being asked. */
  destroy(name: string): Promise<CommandResult> {
    return this.must(`xl destroy ${name}`);
  }

  /**
   * `xl save`: the toolstack asks the domain to suspend, writes its memory
   * and state to `file` in dom0 (tmpfs: the domain's memory in size) and
   * destroys it.
   */
  save(name: string, file = `/tmp/${name}.save`, timeoutMs = 300_000): Promise<CommandResult> {
    return this.must(`xl save ${name} ${file}`, timeoutMs);
  }

  /** `xl restore` of a saved domain, its console shown again; resolves with its new id. The file goes. */
  async restore(name: string, file = `/tmp/${name}.save`, timeoutMs = 300_000): Promise<number> {
    await this.must(`xl restore ${file} && rm ${file}`, timeoutMs);
    return this.attachConsole(name, undefined, timeoutMs);
  }

  /** Shows the console of `name` (the one whose id is not `oldId`), once it exists; resolves with its id. */
  private async attachConsole(name: string, oldId: number | undefined, timeoutMs: number): Promise<number> {
    const r = await this.must(`xen-harness-console ${name}${oldId === undefined ? '' : ` ${oldId}`}`, timeoutMs);
    return Number(r.lines.find((l) => /^\d+$/.test(l)));
  }

  /**
   * A TCP connection from dom0 that stays open while other commands run
   * (across `xl save` and `xl restore`, say): send lines on it, wait for
   * what comes back, close it.
   */
  async openTcp(address: string, port: number): Promise<Dom0Connection> {
    const k = this.nextConnection++;
    const { id, done } = await this.startDom0(`xen-harness-tcp open ${k} ${address} ${port}`, 3_600_000);
    const received = () => this.output(id).filter((l) => !/^Connection to .* succeeded!$/.test(l));
    return {
      connected: (timeoutMs = 60_000) =>
        this.waitFor(
          (l) => l.from === 'dom0' && l.command === id && /^Connection to .* succeeded!$/.test(l.text),
          timeoutMs,
          `nc's connection to ${address} ${port}`,
        ).then(() => undefined),
      send: async (text: string) => {
        await this.must(`xen-harness-tcp send ${k} ${text}`);
      },
      received,
      waitForLine: (text: string, timeoutMs = 60_000) =>
        this.waitFor(
          (l) => l.from === 'dom0' && l.command === id && l.text === text,
          timeoutMs,
          `'${text}' back on the connection to ${address} ${port}`,
        ).then(() => undefined),
      close: async () => {
        await this.dom0(`xen-harness-tcp close ${k}`);
        return done;
      },
      done,
    };
  }

  /** `xl create -c` of a session domain, left running; resolves once the domain exists. */
  async create(name: string, timeoutMs = 180_000): Promise<CommandResult> {
    const r = await this.dom0(`xen-harness-create ${name}`, timeoutMs);
    if (r.status !== 0) throw new Error(`xl create ${name} failed (status ${r.status}):\n${r.lines.join('\n')}`);
    return r;
  }

  /** The console lines of one domain so far. */
  domu(name: string): string[] {
    // Colours off: the unikernel colours some lines on a terminal, which hvc0 is.
    return this.lines.flatMap((l) => (l.from === 'domU' && l.domain === name ? [withoutColours(l.text)] : []));
  }

  /** Waits for a console line of `name` that matches (colours off). */
  waitForDomu(name: string, re: RegExp, timeoutMs: number): Promise<TimedLine> {
    return this.waitFor(
      (l) => l.from === 'domU' && l.domain === name && re.test(withoutColours(l.text)),
      timeoutMs,
      `${re} from ${name}`,
    );
  }

  tail(n = 30): string {
    return this.lines
      .slice(-n)
      .map((l) => `  ${l.from}${l.from === 'domU' && l.domain ? `[${l.domain}]` : ''}: ${l.text}`)
      .join('\n');
  }

  /**
   * Asks dom0 to destroy what still runs and power off, and waits for QEMU
   * to exit (it is killed after `timeoutMs`, and on every path).
   */
  async end(timeoutMs = 60_000): Promise<XenBoot> {
    if (!this.ended) {
      const control = await Promise.race([
        this.control,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000)),
      ]);
      control?.write('poweroff\n');
      const timer = setTimeout(() => this.kill(), timeoutMs);
      try {
        return await this.finished;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.finished;
  }

  /** Kills QEMU now. */
  kill(): void {
    this.abort.abort();
  }
}

const withoutColours = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * dig (BIND 9.18) as the test's DNS client: batch queries in one process,
 * and answers normalised so that two servers can be compared: names and
 * data in lower case, whitespace collapsed, records sorted inside each
 * section, the question and OPT pseudo-section left out (FACTS.md, "DNS").
 */
import { execFile } from 'node:child_process';

export interface DigAnswer {
  readonly query: string;
  readonly rcode: string;
  readonly flags: string[];
  readonly answer: string[];
  readonly authority: string[];
  readonly additional: string[];
  /** The question section as the server sent it, case kept. */
  readonly question: string;
  /** udp or tcp, as dig reports the transport it ended with. */
  readonly transport: string;
  readonly size: number;
}

export interface DigQuery {
  readonly name: string;
  readonly type: string;
  /** More dig options for this query only, e.g. ['+bufsize=512']. */
  readonly options?: readonly string[];
}

const SECTION = /^;; (ANSWER|AUTHORITY|ADDITIONAL|QUESTION) SECTION:$/;

function normalise(line: string): string {
  return line.trim().split(/\s+/).join(' ').toLowerCase();
}

function parseOne(query: string, text: string): DigAnswer {
  const status = /status: ([A-Z]+)/.exec(text);
  const flags = /;; flags:([^;]*);/.exec(text);
  if (!status || !flags) throw new Error(`dig gave no answer for ${query}:\n${text}`);
  const sections: Record<string, string[]> = { ANSWER: [], AUTHORITY: [], ADDITIONAL: [], QUESTION: [] };
  let cur: string | undefined;
  for (const line of text.split('\n')) {
    const m = SECTION.exec(line);
    if (m) cur = m[1];
    else if (line.trim() === '' || line.startsWith(';;')) cur = line.trim() === '' ? undefined : cur;
    else if (cur === 'QUESTION') sections.QUESTION.push(line.replace(/^;/, '').trim().split(/\s+/).join(' '));
    else if (cur) sections[cur].push(normalise(line));
  }
  const server = /;; SERVER: .*\((UDP|TCP)\)/.exec(text);
  const size = /;; MSG SIZE\s+rcvd: ([0-9]+)/.exec(text);
  return {
    query,
    rcode: status[1],
    flags: flags[1].trim().split(/\s+/).filter(Boolean).sort(),
    answer: sections.ANSWER.sort(),
    authority: sections.AUTHORITY.sort(),
    additional: sections.ADDITIONAL.sort(),
    question: sections.QUESTION.join('\n'),
    transport: server ? server[1].toLowerCase() : '',
    size: size ? Number(size[1]) : 0,
  };
}

/**
 * Asks `server:port` every query (a few dig processes at a time), without
 * recursion and over UDP unless `options` says otherwise; `prefix` runs dig
 * elsewhere, e.g. `['ip', 'netns', 'exec', NS]`.
 */
export function digBatch(
  server: string,
  port: number,
  queries: readonly DigQuery[],
  options: readonly string[] = ['+norec', '+notcp'],
  prefix: readonly string[] = [],
): Promise<DigAnswer[]> {
  // One dig per query keeps outputs apart.
  const run = (q: DigQuery) =>
    new Promise<DigAnswer>((resolve, reject) => {
      const args = [
        `@${server}`,
        '-p',
        String(port),
        ...options,
        '+time=2',
        '+tries=2',
        ...(q.options ?? []),
        q.name,
        q.type,
      ];
      const argv = [...prefix, 'dig', ...args];
      execFile(argv[0], argv.slice(1), { timeout: 15_000 }, (error, stdout) => {
        if (error && !stdout) reject(new Error(`dig ${args.join(' ')}: ${error.message}`));
        else {
          try {
            resolve(parseOne(`${q.name} ${q.type}${q.options ? ' ' + q.options.join(' ') : ''}`, stdout));
          } catch (e) {
            reject(e);
          }
        }
      });
    });
  return pool(queries, 6, run);
}

async function pool<T, R>(items: readonly T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** The parts two servers must agree on (everything but the question's case, the id and OPT). */
export function comparable(a: DigAnswer): Omit<DigAnswer, 'question' | 'transport' | 'size'> {
  return {
    query: a.query,
    rcode: a.rcode,
    flags: a.flags,
    answer: a.answer,
    authority: a.authority,
    additional: a.additional,
  };
}

export function digAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile('dig', ['-v'], (e) => resolve(!e)));
}

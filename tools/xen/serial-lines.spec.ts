import { DOMU_MARK, HARNESS_MARK } from './dom0-init';
import { classifySerialLine, lineSplitter, serialMark } from './serial-lines';

describe('serial lines', () => {
  it("sorts the domU's console, the dom0 init's reports and everything else", () => {
    expect(classifySerialLine(`${DOMU_MARK}hello\r`)).toEqual({ from: 'domU', text: 'hello' });
    expect(classifySerialLine(`${DOMU_MARK}  indented\r\r`)).toEqual({ from: 'domU', text: '  indented' });
    expect(classifySerialLine(`${HARNESS_MARK} domain console ended\r`)).toEqual({
      from: 'harness',
      text: 'domain console ended',
    });
    expect(classifySerialLine('(XEN) Brought up 1 CPUs\r')).toEqual({ from: 'other', text: '(XEN) Brought up 1 CPUs' });
    // A domU line that merely contains the mark, or starts with a look-alike, is not the domU's.
    expect(classifySerialLine(`[ 1.0] x ${DOMU_MARK}hello`).from).toBe('other');
    expect(classifySerialLine('domU|hello').from).toBe('other');
  });

  it("sorts a session's named domains and dom0 command output, and marks them back the same way", () => {
    for (const [raw, line] of [
      [
        'domU[stackv4-dhcp]| IP address: 10.0.0.58\r',
        { from: 'domU', domain: 'stackv4-dhcp', text: 'IP address: 10.0.0.58' },
      ],
      [
        'dom0[12]| 64 bytes from 10.0.0.2: seq=0 ttl=38\r',
        { from: 'dom0', command: 12, text: '64 bytes from 10.0.0.2: seq=0 ttl=38' },
      ],
    ] as const) {
      expect(classifySerialLine(raw)).toEqual(line);
      expect(`${serialMark(line)}${line.text}`).toBe(raw.slice(0, -1));
    }
    expect(classifySerialLine('dom0[x]| no').from).toBe('other');
    expect(classifySerialLine('domU[a b]| no').from).toBe('other');
  });

  it('splits a stream into lines whatever the chunk boundaries', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    for (const chunk of ['he', 'llo\r\nwor', 'ld\n\npart', 'ial']) s.push(chunk);
    expect(lines).toEqual(['hello\r', 'world', '']);
    s.end();
    expect(lines).toEqual(['hello\r', 'world', '', 'partial']);
  });
});

import { parseBootTrace } from './boot-trace';

describe('boot trace', () => {
  it('reads the milestones from console output, in order, ignoring everything else', () => {
    const output = [
      'mirage-trace: init 1.66\r',
      'mirage-trace: modules 1.93',
      'hello',
      'mirage-trace: root 2.12',
      'not mirage-trace: node 9',
      'mirage-trace: node 2.15',
      'mirage-trace: main three',
      'mirage-trace: main 2.90',
    ].join('\n');
    expect(parseBootTrace(output)).toEqual([
      { step: 'init', uptime: 1.66 },
      { step: 'modules', uptime: 1.93 },
      { step: 'root', uptime: 2.12 },
      { step: 'node', uptime: 2.15 },
      { step: 'main', uptime: 2.9 },
    ]);
    expect(parseBootTrace('hello\nworld\n')).toEqual([]);
  });
});

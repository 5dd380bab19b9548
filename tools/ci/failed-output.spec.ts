import { failedTasksReport, taskSection } from './failed-output';

const LOG = [
  '\u001b[2m> \u001b[22m\u001b[2mnx run\u001b[22m a:test',
  '',
  'PASS a.spec.ts',
  '',
  '> nx run @mirage-ts/tcpip:test',
  '',
  'FAIL libs/tcpip/src/x.spec.ts',
  '  ● it breaks',
  '',
  ' NX   Running targets lint, test for 2 projects failed',
  'Failed tasks:',
].join('\n');

describe('the output of failed tasks, printed again at the end of npm test', () => {
  it("finds a task's section between its header and the next task or the summary", () => {
    expect(taskSection(LOG, '@mirage-ts/tcpip:test')).toEqual([
      '> nx run @mirage-ts/tcpip:test',
      '',
      'FAIL libs/tcpip/src/x.spec.ts',
      '  ● it breaks',
      '',
    ]);
    expect(taskSection(LOG, 'a:test')).toEqual(['> nx run a:test', '', 'PASS a.spec.ts', '']);
    expect(taskSection(LOG, 'b:test')).toBeUndefined();
  });

  it('keeps the last lines of a long section and says when a task is missing', () => {
    const report = failedTasksReport(LOG, ['@mirage-ts/tcpip:test', 'b:e2e'], 2);
    expect(report).toBe(
      [
        '===== output of the failed task @mirage-ts/tcpip:test (again) =====',
        '...',
        '  ● it breaks',
        '',
        '',
        '===== output of the failed task b:e2e (again) =====',
        '(not found in the log)',
      ].join('\n'),
    );
  });
});

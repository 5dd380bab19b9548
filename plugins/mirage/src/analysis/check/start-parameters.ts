import { ts } from 'ts-morph';
import type { ResolvedDevice } from '../../configure/resolved-graph';
import { UserError, type SourceLocation } from '../../configure/user-error';
import type { ConfigSource } from './config-source';
import { isPromiseLike, type StartFunction } from './entry';
import type { CheckProgram } from './program';
import type { Signatures } from './signatures';

export interface JobUnderCheck {
  readonly entry: string;
  readonly devices: readonly ResolvedDevice[];
  /** Where the job was applied in config.ts (`main(defaultConsole)`). */
  readonly at: SourceLocation | undefined;
}

/**
 * The devices config.ts passes against `start`'s parameters: as many as
 * it takes, each of a signature its declared type accepts (a narrower
 * interface that the device satisfies is fine), and a Promise back.
 */
export function checkStartParameters(
  program: CheckProgram,
  config: ConfigSource,
  signatures: Signatures,
  job: JobUnderCheck,
  start: StartFunction,
): void {
  const checker = program.checker;
  const written = config.jobArguments(job.at) ?? [];
  const describeArg = (i: number) => written[i]?.text ?? job.devices[i].label;
  const passes = (i: number) => `${describeArg(i)} (${job.devices[i].signature})`;
  const jobRef = config.shortRef(job.at);
  const params = start.parameters;
  const rest = params.length > 0 && params[params.length - 1].rest;
  const required = params.filter((p) => !p.optional && !p.rest).length;
  const max = rest ? Infinity : params.length;
  const given = job.devices.length;
  const paramList = `(${params.map((p) => `${p.rest ? '...' : ''}${p.name}: ${checker.typeToString(p.type)}`).join(', ')})`;
  const devices = (n: number) => `${n} device${n === 1 ? '' : 's'}`;

  if (given > max) {
    const extra = job.devices.map((_, i) => i).slice(max);
    throw new UserError(
      `${start.name} takes ${devices(max)} ${paramList}, but ${jobRef} passes ${given}: ${job.devices.map((_, i) => describeArg(i)).join(', ')}`,
      {
        at: start.at,
        fix: `add a parameter to ${start.name} for ${extra.map(passes).join(', ')}, or remove ${extra.length === 1 ? 'it' : 'them'} from foreign(...) and its application in config.ts`,
      },
    );
  }
  if (given < required) {
    const missing = params.slice(given, required);
    throw new UserError(
      `${start.name} takes ${devices(required)} ${paramList}, but ${jobRef} passes ${given}${given ? `: ${job.devices.map((_, i) => describeArg(i)).join(', ')}` : ''}`,
      {
        at: start.at,
        fix: `pass a device for ${missing.map((p) => `'${p.name}'`).join(', ')} in foreign(...) and its application in config.ts, or remove ${missing.length === 1 ? 'that parameter' : 'those parameters'}`,
      },
    );
  }

  job.devices.forEach((device, i) => {
    const param = i < params.length && !params[i].rest ? params[i] : params[params.length - 1];
    const expected = param.rest
      ? (checker.getIndexTypeOfType(param.type, ts.IndexKind.Number) ?? param.type)
      : param.type;
    const offered = signatures.type(device.signature);
    // A device type whose signature @mirage-ts/types does not declare cannot be compared here.
    if (!offered || checker.isTypeAssignableTo(offered, expected)) return;
    const expectedText = checker.typeToString(expected);
    throw new UserError(
      `parameter '${param.name}' of ${start.name} expects ${expectedText}, but ${config.shortRef(written[i]?.at ?? job.at)} passes ${passes(i)}`,
      {
        at: param.at,
        fix: `declare '${param.name}: ${device.signature}' to take the device config.ts passes there, or pass a ${expectedText} there`,
      },
    );
  });

  if (!isPromiseLike(start.returnType)) {
    throw new UserError(
      `${start.name} returns ${start.returnText}, but the unikernel ends when the Promise that start returns settles`,
      {
        at: start.at,
        fix: `declare it async: async ${start.name.split('.').pop()}(...): Promise<void>`,
      },
    );
  }
}

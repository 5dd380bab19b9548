import { err, type NetError, type Result } from '@mirage-ts/types';

export const fail = (kind: NetError['kind'], message: string): Result<never, NetError> =>
  err({ kind, message } as NetError);
export const failed = (kind: NetError['kind'], message: string): Promise<Result<never, NetError>> =>
  Promise.resolve(fail(kind, message));

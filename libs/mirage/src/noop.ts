import { makeImpl, type Impl } from './impl';
import { job } from './typ';

/**
 * The job that does nothing (MirageOS `noop`): it fills a job slot that a
 * condition leaves empty, as in `ifImpl(Key.isXen, noop, socketJob)`, where
 * a second job serves on the host's own stack on unix only.
 */
export const noop: Impl<'job'> = makeImpl(job, { kind: 'noop' });

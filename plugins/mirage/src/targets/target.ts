import type { Resource, Target } from '@mirage-ts/mirage';
import type { BuildOptions } from 'esbuild';
import type { ResolvedGraph } from '../configure/resolved-graph';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export interface TargetPaths {
  readonly workspaceRoot: string;
  /** Workspace-relative folder of the unikernel (apps/console). */
  readonly projectRoot: string;
  /** Absolute folder that holds the artifact once the build completes (dist/apps/console/unix). */
  readonly outDir: string;
}

export interface PackageContext extends TargetPaths {
  readonly graph: ResolvedGraph;
  /** Absolute folder being written; it becomes outDir only if the whole build succeeds. */
  readonly stagingDir: string;
  /** The bundle, inside stagingDir. */
  readonly bundleFile: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
}

export interface RunContext extends TargetPaths {
  readonly graph: ResolvedGraph;
  /** Run-time key flags, already in `--name=value` form. */
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
}

/**
 * What differs between targets: how devices' host resources are named, how
 * the bundle is made, what artifact sits beside it and how it is started.
 * The unikernel and its main.ts wiring are the same everywhere.
 */
export interface UnikernelTarget {
  readonly name: Target;
  readonly description: string;
  /** Executor options that belong to the target, not to the unikernel's keys. */
  readonly options: readonly string[];
  /**
   * Expression main.ts passes to connect() for a host resource. The graph is
   * there for targets that number resources (the VM targets attach one disk
   * per block file, in connect order).
   */
  resourceExpression(resource: Resource, paths: TargetPaths, graph: ResolvedGraph): string;
  readonly bundle: Pick<BuildOptions, 'platform' | 'target' | 'define' | 'loader'>;
  /** Writes the artifact around the bundle (launcher, image, VM configuration). */
  package(ctx: PackageContext): Promise<void>;
  /** Starts the built artifact; resolves with its exit status. */
  run(ctx: RunContext): Promise<number>;
}

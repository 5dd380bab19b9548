import { TARGETS } from '@mirage-ts/mirage';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Nx declares all three target folders as the build's outputs (it cannot
 * see which target a task builds) and snapshots whichever exist. So that the
 * cache entry of a unix build holds only the unix folder, and restoring it
 * never brings back an old xen image, the build moves the other targets'
 * folders aside before it returns; the plugin's postTasksExecution hook puts
 * them back once Nx has cached the outputs.
 */
const PARKING = '.parked';

export function parkOtherTargets(projectDistDir: string, builtTarget: string): void {
  for (const t of TARGETS) {
    if (t === builtTarget) continue;
    const dir = path.join(projectDistDir, t);
    if (!fs.existsSync(dir)) continue;
    const parked = path.join(projectDistDir, PARKING, t);
    fs.rmSync(parked, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(parked), { recursive: true });
    fs.renameSync(dir, parked);
  }
}

/** Puts parked folders back under every dist/apps/<project>; a folder rebuilt meanwhile wins. */
export function unparkAll(workspaceRoot: string): void {
  const appsDist = path.join(workspaceRoot, 'dist', 'apps');
  if (!fs.existsSync(appsDist)) return;
  for (const project of fs.readdirSync(appsDist)) {
    const parkingDir = path.join(appsDist, project, PARKING);
    if (!fs.existsSync(parkingDir)) continue;
    for (const t of fs.readdirSync(parkingDir)) {
      const dest = path.join(appsDist, project, t);
      const parked = path.join(parkingDir, t);
      if (fs.existsSync(dest)) fs.rmSync(parked, { recursive: true, force: true });
      else fs.renameSync(parked, dest);
    }
    fs.rmSync(parkingDir, { recursive: true, force: true });
  }
}

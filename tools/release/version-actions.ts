/**
 * How `nx release version` versions this workspace's packages without
 * @nx/js (which has no 24.x): the version lives in each project's own
 * package.json. Their dependencies on each other are not written there:
 * tools/packaging fills them in from these versions when it packs, so the
 * released group (fixed: one version for all) stays consistent.
 */
import { joinPathFragments, readJson, updateJson, type Tree } from '@nx/devkit';
import { VersionActions } from 'nx/release';

export default class MirageVersionActions extends VersionActions {
  validManifestFilenames = ['package.json'];

  private get manifestPath(): string {
    return joinPathFragments(this.projectGraphNode.data.root, 'package.json');
  }

  async readCurrentVersionFromSourceManifest(tree: Tree): Promise<{ currentVersion: string; manifestPath: string }> {
    const { version } = readJson<{ version?: string }>(tree, this.manifestPath);
    if (!version) throw new Error(`${this.manifestPath} has no "version": add "version": "0.1.0" and release again`);
    return { currentVersion: version, manifestPath: this.manifestPath };
  }

  // The current version is read from disk (release.version.currentVersionResolver = "disk").
  async readCurrentVersionFromRegistry(): Promise<null> {
    return null;
  }

  async readCurrentVersionOfDependency(): Promise<{ currentVersion: null; dependencyCollection: null }> {
    return { currentVersion: null, dependencyCollection: null };
  }

  async updateProjectVersion(tree: Tree, newVersion: string): Promise<string[]> {
    updateJson(tree, this.manifestPath, (pkg: Record<string, unknown>) => ({ ...pkg, version: newVersion }));
    return [`Set the version in ${this.manifestPath} to ${newVersion}`];
  }

  async updateProjectDependencies(): Promise<string[]> {
    return [];
  }
}

export interface InitGeneratorSchema {
  keepExistingVersions?: boolean;
  skipPackageJson?: boolean;
  skipInstall?: boolean;
}

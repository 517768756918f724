import type { RegistryPackages, TestRegistry } from '@tote/test-registry'

export declare const ADD_SPECS_PACKAGES: RegistryPackages
export declare function makeGitRepository(root: string): { srv: string; commits: Record<string, string> }
export declare function writeProject(
  base: string,
  gitUrl: string,
  registry: TestRegistry,
): Promise<{ dir: string; home: string; base: string }>

export { startVaultDev, type VaultDev } from './vault';
export type { VaultDevOptions } from './options';
export type { MountOption } from './namespace';
export type { AppRoleOption } from './auth/approle';
export type { KubernetesRoleOption } from './auth/kubernetes';
export type { Capability, PolicyRule, PolicySet } from './policies';

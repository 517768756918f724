// @npmcli/config ships no types; _npm.ts types the few members it uses.
declare module '@npmcli/config' {
  const NpmConfig: unknown
  export default NpmConfig
}
declare module '@npmcli/config/lib/definitions/index.js' {
  const definitions: unknown
  export default definitions
}
declare module '@npmcli/config/lib/nerf-dart.js' {
  const nerfDart: unknown
  export default nerfDart
}

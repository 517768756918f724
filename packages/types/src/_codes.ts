// Every code a ToteError can carry: the one list. A code is added here and to the matching table of
// README.md ("Error codes"), which test/readme.test.ts holds to this list. Alphabetical, one a line,
// so that branches adding codes at the same time rarely touch the same lines.

/** tote's own codes: conditions of installing that a user can act on. */
export const TOTE_ERROR_CODES = [
  'E404',
  'EAUTH',
  'EBADINTEGRITY',
  'EBADJSON',
  'EBADPLATFORM',
  'ECACHEDAMAGED',
  'ECACHEDIR',
  'ECLONENOTSUP',
  'ECONFIG',
  'EEXTRACT',
  'EHTTP',
  'EINTEGRITY',
  'EJSONPARSE',
  'ELOCK',
  'ELOCKED',
  'ELOCKFILE',
  'ELOCKOUTOFSYNC',
  'ENETWORK',
  'ENOCOMMAND',
  'ENOLOCK',
  'ENOPACKAGEJSON',
  'ENOTIME',
  'EOFFLINE',
  'EOVERRIDE',
  'EPACKAGEJSON',
  'EPEERBINARY',
  'EPEERINSTALL',
  'EREGISTRY',
  'ERESOLVE',
  'ESTAGEMODULE',
  'ETARBALL',
  'ETARGET',
  'ETIMEOUT',
  'EUNKNOWNCOMMAND',
  'EUNSUPPORTED',
  'EUNSUPPORTEDSOURCE',
  'EUNSUPPORTEDSPEC',
  'EUSAGE',
] as const

/**
 * Faults of the system, under the system's own names (errno codes): the CLI gives an error of the
 * system that has one of these codes a message and a hint, and keeps the code.
 */
export const SYSTEM_FAULT_CODES = [
  'EACCES',
  'EDQUOT',
  'EEXIST',
  'EIO',
  'EISDIR',
  'EMFILE',
  'ENFILE',
  'ENOENT',
  'ENOSPC',
  'ENOTDIR',
  'EPERM',
  'EROFS',
] as const

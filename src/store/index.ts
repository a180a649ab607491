// The store's public surface: everyone else reads artifacts, manifests and journals through these.
export { Store, CommitFailed, type Verified, type StageIndexEntry, type ManifestSummary } from './Store.js';
export { type Manifest, type ManifestFile, ManifestInvalid, parseManifest, hashFileSync, MANIFEST } from './manifest.js';
export { type KeyComponents, type KeyInput, stageKey } from './keyComponents.js';
export { canonicalJson, lengthPrefixed, sha256 } from './canonical.js';
export { Journal, readJournal, newRunId, writeRunRecord, readRunRecord, JournalLineInvalid, type RunRecord } from './journal.js';
export { acquireLock, waitForLock, readLock, processInfo, StoreLocked, type LockInfo, type HeldLock } from './lock.js';
export { DiskFull, diskFullCode, filesystemOf } from './diskFull.js';

/**
 * The embedded store's LevelDB reads its table files with `pread`, not through `mmap` (decision 66).
 *
 * LevelDB's POSIX environment maps up to 1,000 table files into the process (64-bit builds) and
 * reads their blocks straight from the mapping. Every page a read touches, a point read's block
 * or a compaction's whole input, then counts in the process's RSS as a file-backed page for as
 * long as the table stays open: the RSS grew with the data the store holds, not with what the
 * runtime keeps (after 20,000 webhook deliveries, +23 MiB of the +33 MiB the runtime's RSS at rest
 * grew). Those pages are the kernel's page cache either way; read with `pread`, they stay in the
 * page cache, outside the process, and a block read is copied into LevelDB's block cache (8 MiB,
 * bounded) as it already was whenever the block is compressed. RocksDB reads this way by default
 * (`allow_mmap_reads` false).
 *
 * LevelDB has no option for it. Its POSIX environment sizes the number of mappings once, when the
 * process's first database opens, from `EnvPosixTestHelper::SetReadOnlyMMapLimit`'s value: an
 * exported function of classic-level's binary (LevelDB 1.20), called here through koffi (the FFI
 * library the runtime already uses for glibc's `malloc_trim`) with 0. So it must run before the
 * process opens any LevelDB database; `openDynaliteStore` calls it first. Where it cannot run
 * (Windows, no koffi binary, a classic-level without the symbol), LevelDB keeps its default and
 * nothing else changes.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** `leveldb::EnvPosixTestHelper::SetReadOnlyMMapLimit(int)`, mangled as g++ and clang do. */
const SET_MMAP_LIMIT = '_ZN7leveldb18EnvPosixTestHelper20SetReadOnlyMMapLimitEi';

/** How this process's LevelDB reads its tables: 'pread' once set, 'mmap' where it could not be. */
export type TableReads = 'pread' | 'mmap';

let reads: TableReads | undefined;

/**
 * Sets LevelDB's mapping limit to 0 for this process (once; later calls return the first answer).
 * Effective only before the process's first LevelDB database opens.
 */
export function readLevelDbTablesWithPread(): TableReads {
  if (reads) return reads;
  reads = 'mmap';
  if (process.platform === 'win32') return reads;
  try {
    const require = createRequire(import.meta.url);
    // The classic-level that dynalite's `level` loads, and the binary node-gyp-build picks for it.
    const level = dirname(require.resolve('level/package.json', { paths: [require.resolve('dynalite')] }));
    const classic = dirname(require.resolve('classic-level/package.json', { paths: [level] }));
    require(`${classic}/binding.js`); // Node loads the binary first; koffi then gets the same handle
    const gypBuild = require(require.resolve('node-gyp-build', { paths: [classic] })) as {
      path(dir: string): string;
    };
    const koffi = require('koffi') as typeof import('koffi');
    const setLimit = koffi.load(gypBuild.path(classic)).func(SET_MMAP_LIMIT, 'void', ['int']) as (
      limit: number,
    ) => void;
    setLimit(0);
    reads = 'pread';
  } catch {
    // no koffi binary for this platform, or a LevelDB build without the helper: mmap stays
  }
  return reads;
}

using BenchmarkDotNet.Running;
using LatticeKV.Bench.Runner;

namespace LatticeKV.Bench;

/// <summary>
/// Entry point. <c>compare</c> runs the comparative workloads; <c>micro</c> runs the
/// BenchmarkDotNet micro-benchmarks (arguments after it go to BenchmarkDotNet).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // "compare --help" and the like print the usage: every command runs with its defaults
        // otherwise, which is minutes of benchmarks. micro hands --help to BenchmarkDotNet.
        if (args.Length == 0 || (args[0] != "micro" && args.Any(a => a is "-h" or "--help")))
        {
            Console.WriteLine("""
                usage:
                  compare [--num N] [--engines latticekv,rocksdb,zonetree,sqlite,latticekv-2k,rocksdb-2k] [--workloads fillseq,fillrandom,...] [--out DIR] [--dir DBROOT] [--sync-rounds R] [--read-rounds R]
                    (fillsync and fillsync16 run in R rounds, default 5, alternating the engines, fillsync
                     right after an fsync probe; readrandom, readmissing and seekrandom likewise, default 5,
                     each round a new process reading a database filled once per engine; each engine's
                     median round is reported)
                    [--write-rounds R]   (the writing workloads too in R alternating rounds, median reported; default 1)
                    [--encrypt]   (adds latticekv-enc: encrypted LatticeKV in the same rounds)
                    [--autobackup] [--backup-interval-ms MS]   (adds latticekv-autobackup: LatticeKV with DbOptions.AutoBackup
                     every MS milliseconds, default 1000, logs archived, the last 3 backups kept, beside the database;
                     both LatticeKV engines' warm-ups then write and flush alike, the plain one without the backups,
                     and wait until the JIT is idle)
                    [--backup-nice N] [--backup-mb-per-s M]   (its backup thread's nice, default the compaction threads';
                     at most M MiB a second copied by a backup, default 0: no limit)
                  report [--out DIR]   (render results.md and results.svg again from DIR/results.json)
                  fsync-probe [--out DIR]   (measure the machine's fsync rates alone, for report)
                  read-harness --engine E --db DIR --num N [--cache-mb M] [--seconds S] [--warm] [--seek]
                    (random reads on a database run-suite --fill-kept DIR left, ops/s each second: for profiling)
                  mmap-probe [--mb M] [--reads R] [--rounds K] [--collapse] [--heap-control] [--no-budgets] [--dir D]
                    (random 2-4 KiB fetches of a page-cache-resident file of M MiB, default 1024: pread against a
                     memory map, mapped, and dropped with MADV_DONTNEED per 64 MiB after 16 or 4 MiB copied out of
                     it; alternating slices, CPU time per fetch; --collapse advises huge pages for the map first;
                     --heap-control adds the same fetches from a managed array of the file's bytes; --no-budgets
                     leaves out the MADV_DONTNEED methods)
                  open-time [--opens N] [--dir D]
                    (time to open an encrypted database per master-key source: Argon2id, PBKDF2, raw key)
                  backup [--keys N] [--value-size B] [--runs R] [--pause S] [--dir D] [--out DIR]
                    (a database of N keys, default 10,000,000 x 180 bytes, about 1 GB, built once in D and kept:
                     full backup and restore against cp -r with fsync, in R alternating rounds, default 8, each
                     measurement after S seconds of idleness, default 10; then
                     an incremental backup after 1% of the keys changed)
                  startup-check [--mb M] [--opens N] [--dir D]
                    (open time with StartupCheck None, Quick and Full on a database of M MiB of tables, default 1024;
                     D is filled once and kept, a temporary database is deleted)
                  ledger [--txns N] [--accounts A] [--queries Q] [--rounds R] [--docs D] [--search-queries S] [--seconds T]
                         [--threads 1,16] [--parts insert,newest,search,txn] [--load-batch B] [--corpus DIR] [--dir D] [--out DIR]
                    (issue 19 against SQLite and RocksDB's transaction databases in one run: N ledger transactions,
                     default 1,000,000 over 10,000 accounts, inserted with an (account, order) index; the newest 100
                     of a random account; full-text search over WordNet's glosses (apt-get install wordnet-base);
                     transfers in optimistic and pessimistic transactions for T seconds per thread count; every store
                     is settled and its cache warmed (one query per account) before the newest rounds; --load-batch B
                     inserts B transactions a commit, default 1, for runs that measure only the queries)
                  ledgerlog [--txns N] [--accounts A] [--batch B] [--rounds R] [--singles S] [--leaves L] [--proofs P]
                            [--parts append,proofs,verify] [--dir D]
                    (issue 23: Ledger.AppendBatch of N transactions, default 1,000,000, against plain batched puts of
                     the same records, alternating over R rounds; single appends; inclusion-proof p50/p99 over a Merkle
                     log of L leaves, default 10,000,000, and proof verification per second; VerifyBalances over N)
                  sync [--fill N] [--catch-up N] [--warm-up W] [--rounds R] [--samples S] [--parts fill,catch-up,latency,feed] [--dir D] [--out FILE]
                    (issue 20, two replicas syncing over TLS on loopback: fillrandom cost of recording changes and
                     of a live session, one stream catching up N offline changes (a cold single shot, then a warm-up
                     of W changes, default 200,000, between a scratch pair and R measured rounds, default 3, each
                     between a new pair, median reported), commit-to-visibility latency under continuous sync, and
                     the change feed's latency in process)
                  validation [--num N] [--rounds R] [--dir D] [--out FILE]
                    (issue 21: fillrandom, default 1,000,000 puts, into a family without a validator, with a trivial
                     delegate, with JSON well-formedness and with a JSON Schema, alternated over R rounds, default 3;
                     median ops/s and the ratio to the plain run)
                  foreignkeys [--num N] [--accounts A] [--dir D]
                    (issue 21: fillrandom of N child rows, default 1,000,000, without and with a foreign key to A
                     preloaded accounts, default 10,000; parent deletes under Restrict and Cascade; side by side)
                  largevalues [--mb M] [--sizes 4096,65536,1048576] [--engines latticekv,latticekv-snappy,latticekv-blob,latticekv-blob-cache,rocksdb,rocksdb-blob]
                              [--min-blob-size B] [--reads R] [--dir D] [--out FILE]
                    (issue 22: per value size, M MiB of values, default 1024, filled then overwritten in random orders,
                     then R random reads, default 2000: throughput, write amplification and space of LatticeKV with
                     zstd for large values and with Snappy only, RocksDB without and with blob files (min_blob_size B,
                     default 4096, zstd, blob GC), one engine after another in one run)
                  anticipation [--num N] [--rounds R] [--seconds S] [--parts preload,readahead,prefetch] [--think-us U] [--dir D]
                    (issue 22, the cache that anticipates: zipfian reads in the first S seconds after a reopen with and
                     without preload; a full scan with a cold page cache, LatticeKV with and without readahead against
                     RocksDB; a navigation workload (profile, think U us, newest 20 transactions) as hit ratio and
                     latency with and without learned prefetch. N keys, default 2,000,000 x 400 bytes, filled once in D)
                  metrics [--num N] [--rounds R] [--dir D] [--out FILE]
                    (issue 22: fillrandom, readrandom and seekrandom, default 1,000,000 keys, without and with a
                     MeterListener aggregating the LatticeKV meter as OpenTelemetry does, alternated over R rounds,
                     default 3; median ops/s and the ratio)
                  metrics-paired [--num N] [--pairs P] [--slice S] [--dir D] [--out FILE]
                    (issue 22, the same cost with the machine's drift cancelled: P pairs, default 41, of slices of S
                     operations, default 100,000, on one open database, a listener attached in one slice of each pair;
                     median and interquartile range of the within-pair ratios, by wall time and by process CPU time)
                  micro [BenchmarkDotNet arguments, e.g. --filter *Memtable*]
                workloads: 
                """ + string.Join(", ", Workloads.All));
            return 0;
        }
        return args[0] switch
        {
            "compare" => CompareCommand.Run(args[1..]),
            "run-suite" => CompareCommand.RunSuite(args[1..]),
            "report" => CompareCommand.Rerender(args[1..]),
            "fsync-probe" => CompareCommand.ProbeOnly(args[1..]),
            "read-harness" => ReadHarness.Run(args[1..]),
            "mmap-probe" => MmapProbe.Run(args[1..]),
            "open-time" => OpenTime.Run(args[1..]),
            "backup" => BackupBench.Run(args[1..]),
            "startup-check" => StartupCheckTime.Run(args[1..]),
            "ledger" => Ledger.LedgerBench.Run(args[1..]),
            "ledger-probe" => Ledger.LedgerProbe.Run(args[1..]),
            "ledgerlog" => Ledger.VerifiableLedgerBench.Run(args[1..]),
            "sync" => Sync.SyncBench.Run(args[1..]),
            "validation" => Integrity.ValidationBench.Run(args[1..]),
            "foreignkeys" => Integrity.ForeignKeyBench.Run(args[1..]),
            "largevalues" => LargeValues.LargeValueBench.Run(args[1..]),
            "anticipation" => Cache.AnticipationBench.Run(args[1..]),
            "metrics" => Observability.MetricsBench.Run(args[1..]),
            "metrics-paired" => Observability.PairedMetricsBench.Run(args[1..]),
            "micro" => RunMicro(args[1..]),
            _ => Unknown(args[0]),
        };
    }

    private static int RunMicro(string[] args)
    {
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static int Unknown(string command)
    {
        Console.Error.WriteLine($"unknown command '{command}'; run with --help");
        return 2;
    }
}

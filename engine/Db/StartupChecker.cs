using System.Globalization;
using System.Runtime.ExceptionServices;
using LatticeKV.Inspect;
using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Db;

/// <summary>
/// The checks <see cref="DbOptions.StartupCheck"/> asks of an open, on the tables the recovered
/// MANIFEST lists (the MANIFEST itself was read, checksummed, by recovery). Quick opens each
/// table through the table cache, which reads and checks its footer, meta-index, index, filter
/// and properties and keeps it open for the reads that follow, and compares its size with the
/// MANIFEST's; Full also reads every data block and the whole file's checksum. A table that
/// fails is healed when the table cache has a healer (an open of a table that fails heals
/// inside the cache; a size or checksum mismatch found here is handed to the healer), else the
/// open fails with a <see cref="CorruptionException"/> naming it. The write-ahead logs are read
/// record by record by replay; Full counts them in the progress it reports.
/// </summary>
internal sealed class StartupChecker(IFileSystem fs, string db, TableCache tables, StartupCheck mode, Action<VerifyProgress>? progress)
{
    private readonly Lock _progressLock = new();
    private long _done, _total; // guarded by _progressLock once the tables are checked in parallel

    /// <summary>
    /// Checks <paramref name="files"/>, in parallel: each is independent, and opening one (decoding
    /// its index) is most of the cost. Throws the damage of the first table in the list that has
    /// any. <paramref name="logs"/> (replayed next) count in the progress of a full check.
    /// </summary>
    public void CheckTables(IReadOnlyList<FileMetaData> files, IReadOnlyList<long> logs)
    {
        _total = files.Sum(f => f.FileSize);
        if (mode == StartupCheck.Full && progress is not null)
            foreach (long log in logs) _total += SizeOrZero(FileNames.Log(db, log));
        var failures = new ExceptionDispatchInfo?[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var f = files[i];
            string path = FileNames.Table(db, f.Number);
            try { CheckTable(f, path, healed: false); }
#pragma warning disable CA1031 // every failure is kept and the first rethrown below, whatever its type
            catch (Exception ex) { failures[i] = ExceptionDispatchInfo.Capture(ex); }
#pragma warning restore CA1031
            lock (_progressLock)
            {
                _done += f.FileSize;
                Report(path);
            }
        });
        foreach (var failure in failures) failure?.Throw();
    }

    /// <summary>Replay is about to read log <paramref name="path"/> (a full check reports it).</summary>
    public void LogStarting(string path)
    {
        if (mode != StartupCheck.Full || progress is null) return;
        lock (_progressLock)
        {
            _done += SizeOrZero(path);
            Report(path);
        }
    }

    private void CheckTable(FileMetaData f, string path, bool healed)
    {
        TableLease lease;
        try { lease = tables.Acquire(f.Number, ref f.CachedTable); }
        catch (CorruptionException ex) { throw Explain(f, path, ex); }
        CorruptionException? damage;
        using (lease)
        {
            damage = Check(f, path, lease.Reader);
        }
        if (damage is null) return;
        // The cache heals what fails to open; what opens but is not the file the MANIFEST names is healed here.
        if (healed || tables.Options.Healer?.TryHeal(f.Number, damage) is not { } copy) throw damage;
        copy.Dispose();
        CheckTable(f, path, healed: true);
    }

    private CorruptionException? Check(FileMetaData f, string path, TableReader reader)
    {
        if (reader.FileSize != f.FileSize) return SizeMismatch(f, path, reader.FileSize);
        if (mode != StartupCheck.Full) return null;
        if (f.Checksum != 0)
        {
            ulong? sum = Backup.FileCopy.Checksum(fs, path, f.FileSize);
            if (sum != f.Checksum)
                return new CorruptionException(string.Create(CultureInfo.InvariantCulture,
                    $"table's checksum is {(sum is { } s ? s.ToString("x16", CultureInfo.InvariantCulture) : "unknown (size changed)")}, the MANIFEST records {f.Checksum:x16}"), path);
        }
        reader.VerifyAll(); // block damage is healed inside the reader when it can be
        return null;
    }

    /// <summary>A table that did not open: said as a size mismatch when that is what it is.</summary>
    private CorruptionException Explain(FileMetaData f, string path, CorruptionException ex)
    {
        long size = SizeOrZero(path);
        return size > 0 && size != f.FileSize ? SizeMismatch(f, path, size, ex) : ex.FilePath is null ? ex.At(path) : ex;
    }

    private static CorruptionException SizeMismatch(FileMetaData f, string path, long size, Exception? inner = null)
        => new(string.Create(CultureInfo.InvariantCulture, $"table file is {size} bytes but the MANIFEST records {f.FileSize}"), path, -1, inner);

    /// <summary>Reports <paramref name="file"/> checked. Caller holds _progressLock.</summary>
    private void Report(string file) => progress?.Invoke(new VerifyProgress(file, _done, _total));

    private long SizeOrZero(string path)
    {
        try { return fs.GetFileSize(path); }
        catch (Exception ex) when (ex is FileNotFoundException or LatticeIOException) { return 0; }
    }
}

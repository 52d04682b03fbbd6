using LatticeKV.Coding;
using LatticeKV.Io;
using LatticeKV.Wal;

namespace LatticeKV.Monitoring;

/// <summary>
/// <c>STORAGE-HISTORY</c> in the database directory (FORMAT.md §20): one storage sample per
/// record in the log framing (§2), oldest first. Rewritten whole (temporary file, fsync, rename)
/// at each sample, which is rare; at most <see cref="MaxSamples"/> are kept, older ones thinned
/// (<see cref="Thin"/>) so the history reaches further back at a coarser step. Read as
/// untrusted input: a torn tail is dropped, any other damage is a <see cref="CorruptionException"/>.
/// </summary>
internal static class StorageHistoryFile
{
    public const string FileName = FileNames.StorageHistory;

    /// <summary>Record layout version. Persistent format: only goes up; readers skip newer records.</summary>
    public const byte RecordVersion = 1;

    /// <summary>How many samples the file keeps.</summary>
    public const int MaxSamples = 1024;

    // Limits a reader enforces so a damaged record cannot make it allocate without bound.
    private const int MaxLevelsPerSample = 1 << 16;
    private const int MaxNameBytes = 1024;

    // Flag bits of a record. Persistent format: do not renumber.
    private const byte HasBackup = 1;
    private const byte HasDisk = 2;

    public static string PathOf(string db) => Path.Combine(db, FileName);

    /// <summary>The samples of <paramref name="db"/>'s history, oldest first; empty when there is none.</summary>
    public static List<StorageSample> Read(IFileSystem fs, string db)
    {
        string path = PathOf(db);
        var samples = new List<StorageSample>();
        if (!fs.FileExists(path)) return samples;
        IRandomAccessFile file;
        try { file = fs.OpenRead(path); }
        catch (FileNotFoundException) { return samples; }
        using (file)
        {
            var reader = new LogReader(file);
            while (reader.ReadRecord(out var record, out long offset))
            {
                if (reader.Issues.Count > 0) break; // damage before an intact record: reported below
                if (Decode(record, path, offset) is { } s) samples.Add(s);
            }
            // A crash while the file was rewritten leaves at worst a short file: a torn tail is dropped.
            if (reader.Issues.FirstOrDefault(i => i.IntactRecordFollows || !i.IsTruncatedTail) is { Reason: not null } bad)
                throw new CorruptionException("storage history: " + bad.Reason, path, bad.Offset);
        }
        return samples;
    }

    /// <summary>Replaces the file with <paramref name="samples"/> (already bounded by <see cref="Thin"/>).</summary>
    public static void Write(IFileSystem fs, string db, IReadOnlyList<StorageSample> samples)
    {
        var memory = new MemoryFile(PathOf(db));
        var log = new LogWriter(memory);
        foreach (var s in samples) log.AddRecord(Encode(s));
        fs.ReplaceDurably(PathOf(db), memory.Bytes.WrittenSpan);
    }

    /// <summary>
    /// Bounds <paramref name="samples"/> (in time order) to <paramref name="max"/>: while there are
    /// too many, every other sample of the older half is dropped, so recent samples keep their
    /// step and older ones are spaced ever wider.
    /// </summary>
    public static void Thin(List<StorageSample> samples, int max = MaxSamples)
    {
        while (samples.Count > max && samples.Count >= 2)
        {
            int older = samples.Count / 2;
            var kept = new List<StorageSample>(samples.Count);
            for (int i = 0; i < older; i++)
                if (i % 2 == 0) kept.Add(samples[i]);
            kept.AddRange(samples.Skip(older));
            samples.Clear();
            samples.AddRange(kept);
        }
    }

    /// <summary>A sample's record (FORMAT.md §20.1).</summary>
    public static byte[] Encode(StorageSample s)
    {
        var w = new ByteWriter(64 + 24 * s.Levels.Count);
        w.WriteByte(RecordVersion);
        w.WriteUInt64((ulong)s.Time.ToUnixTimeMilliseconds());
        w.WriteVarint((ulong)s.LogBytes);
        w.WriteVarint((ulong)s.OtherBytes);
        byte flags = (byte)((s.BackupBytes is null ? 0 : HasBackup) | (s.DiskFreeBytes is null || s.DiskTotalBytes is null ? 0 : HasDisk));
        w.WriteByte(flags);
        if ((flags & HasBackup) != 0) w.WriteVarint((ulong)s.BackupBytes!.Value);
        if ((flags & HasDisk) != 0)
        {
            w.WriteVarint((ulong)s.DiskFreeBytes!.Value);
            w.WriteVarint((ulong)s.DiskTotalBytes!.Value);
        }
        w.WriteVarint((ulong)s.Levels.Count);
        foreach (var l in s.Levels)
        {
            w.WriteLengthPrefixed(Utf8.GetBytes(l.ColumnFamily));
            w.WriteVarint((ulong)l.Level);
            w.WriteVarint((ulong)l.Bytes);
            w.WriteVarint((ulong)l.Files);
        }
        return w.ToArray();
    }

    /// <summary>Decodes a record; null for a record of a newer version this reader does not know.</summary>
    public static StorageSample? Decode(ReadOnlySpan<byte> record, string path, long offset)
    {
        try
        {
            var r = new SpanReader(record);
            byte version = r.ReadByte();
            if (version == 0) throw new CorruptionException("storage history record version 0");
            if (version > RecordVersion) return null;
            long ms = (long)r.ReadUInt64();
            if (ms < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
                throw new CorruptionException($"storage sample time {ms} out of range");
            long logs = Size(ref r), other = Size(ref r);
            byte flags = r.ReadByte();
            long? backup = (flags & HasBackup) != 0 ? Size(ref r) : null;
            long? free = null, total = null;
            if ((flags & HasDisk) != 0)
            {
                free = Size(ref r);
                total = Size(ref r);
            }
            int count = r.ReadVarintInt(MaxLevelsPerSample);
            var levels = new List<StorageLevelSize>(Math.Min(count, 64));
            for (int i = 0; i < count; i++)
            {
                var name = r.ReadLengthPrefixed();
                if (name.Length > MaxNameBytes) throw new CorruptionException($"column family name of {name.Length} bytes");
                int level = r.ReadVarintInt(1024);
                long bytes = Size(ref r);
                int files = r.ReadVarintInt();
                levels.Add(new StorageLevelSize(Utf8.GetString(name), level, bytes, files));
            }
            return new StorageSample
            {
                Time = DateTimeOffset.FromUnixTimeMilliseconds(ms),
                LogBytes = logs,
                OtherBytes = other,
                BackupBytes = backup,
                DiskFreeBytes = free,
                DiskTotalBytes = total,
                Levels = levels,
            };
        }
        catch (CorruptionException ex) when (ex.FilePath is null)
        {
            throw new CorruptionException("storage history: " + ex.Reason, path, offset, ex);
        }
    }

    private static long Size(ref SpanReader r)
    {
        ulong v = r.ReadVarint();
        if (v > long.MaxValue) throw new CorruptionException($"size {v} out of range");
        return (long)v;
    }

    /// <summary>An in-memory <see cref="IWritableFile"/>: the framed file is assembled here, then replaced whole.</summary>
    private sealed class MemoryFile(string path) : IWritableFile
    {
        public ByteWriter Bytes { get; } = new(4096);

        public string Path => path;

        public long Length => Bytes.Length;

        public void Append(ReadOnlySpan<byte> data) => Bytes.Write(data);

        public void Flush() { }

        public void Sync() { }

        public void Dispose() { }
    }
}

namespace LatticeKV.Io;

/// <summary>What a <see cref="FaultRule"/> does when it fires.</summary>
internal enum FaultKind
{
    /// <summary>fsync fails (as EIO would).</summary>
    FailSync,
    /// <summary>Writes (appends, flushes, file creation) fail with ENOSPC.</summary>
    DiskFull,
    /// <summary>Only a prefix of an append reaches the disk, then the "process" dies: every later call fails.</summary>
    TornWrite,
    /// <summary>A read returns the right length with one bit flipped.</summary>
    FlipBitOnRead,
    /// <summary>The operation is delayed.</summary>
    Delay,
    /// <summary>A rename fails (as EIO would) before it happens: both names stay as they were.</summary>
    FailRename,
}

/// <summary>
/// A fault to inject: which kind, for which file kinds (null = any), with what probability per
/// eligible call, and at most how many times (null = unlimited).
/// </summary>
internal sealed class FaultRule(FaultKind kind, DbFileKind? target = null, double probability = 1.0, int? times = null)
{
    public FaultKind Kind { get; } = kind;
    public DbFileKind? Target { get; } = target;
    public double Probability { get; } = probability;
    public int? Remaining { get; set; } = times;
    public TimeSpan Delay { get; init; } = TimeSpan.FromMilliseconds(1);
    public int Fired;
}

/// <summary>
/// Wraps a file system and injects faults chosen by a seeded random source or targeted at a
/// file kind: failed fsyncs, a full disk, torn writes (after which the "process" is dead),
/// bit flips in what reads return, and delays. Combined with <see cref="MemFileSystem.CrashClone"/>
/// (which drops unsynced data) this gives the engine's crash and power-loss tests one seam.
/// </summary>
internal sealed class FaultInjectionFileSystem(IFileSystem inner, int seed) : IFileSystem
{
    private readonly Lock _lock = new();
    private readonly Random _random = new(seed);
    // Guarded by _lock.
    private readonly List<FaultRule> _rules = [];
    private volatile bool _dead;

    public IFileSystem Inner => inner;

    /// <summary>True after a torn write: the simulated process has died and every call fails.</summary>
    public bool IsDead => _dead;

    public void Add(FaultRule rule)
    {
        lock (_lock) _rules.Add(rule);
    }

    public void Clear()
    {
        lock (_lock) _rules.Clear();
    }

    /// <summary>Whether a rule of <paramref name="kind"/> fires for <paramref name="path"/> now (consuming one use).</summary>
    internal FaultRule? Fires(FaultKind kind, string path)
    {
        var fileKind = FileNames.Parse(System.IO.Path.GetFileName(path), out _);
        lock (_lock)
        {
            foreach (var rule in _rules)
            {
                if (rule.Kind != kind || (rule.Target is { } t && t != fileKind)) continue;
                if (rule.Remaining is <= 0) continue;
                if (rule.Probability < 1.0 && _random.NextDouble() >= rule.Probability) continue;
                if (rule.Remaining is { } r) rule.Remaining = r - 1;
                rule.Fired++;
                return rule;
            }
        }
        return null;
    }

    internal int NextInt(int max)
    {
        lock (_lock) return _random.Next(max);
    }

    internal void Check(string path, bool writing)
    {
        if (_dead) throw new LatticeIOException($"Simulated crash: the process is dead ('{path}').", path);
        if (Fires(FaultKind.Delay, path) is { } d) Thread.Sleep(d.Delay);
        if (writing && Fires(FaultKind.DiskFull, path) is not null)
            throw new LatticeIOException($"Writing '{path}' failed: disk full (injected)", path, new IOException("No space left on device"), isDiskFull: true);
    }

    internal void Die() => _dead = true;

    public IWritableFile CreateWritable(string path)
    {
        Check(path, writing: true);
        return new FaultyWritable(this, inner.CreateWritable(path));
    }

    public IWritableFile CreateLog(string path, long capacity)
    {
        Check(path, writing: true);
        return new FaultyWritable(this, inner.CreateLog(path, capacity));
    }

    public IRandomAccessFile OpenRead(string path)
    {
        Check(path, writing: false);
        return new FaultyReader(this, inner.OpenRead(path));
    }

    public bool FileExists(string path) => inner.FileExists(path);

    public bool DirectoryExists(string path) => inner.DirectoryExists(path);

    public void CreateDirectory(string path)
    {
        Check(path, writing: true);
        inner.CreateDirectory(path);
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        Check(directory, writing: false);
        return inner.ListFiles(directory);
    }

    public void DeleteFile(string path)
    {
        Check(path, writing: false);
        inner.DeleteFile(path);
    }

    public void RenameFile(string from, string to)
    {
        Check(from, writing: true);
        if (Fires(FaultKind.FailRename, from) is not null) throw new LatticeIOException($"Renaming '{from}' failed (injected)", from);
        inner.RenameFile(from, to);
    }

    public long GetFileSize(string path) => inner.GetFileSize(path);

    public void SyncDirectory(string path)
    {
        Check(path, writing: false);
        if (Fires(FaultKind.FailSync, path) is not null) throw new LatticeIOException($"fsync of directory '{path}' failed (injected)", path);
        inner.SyncDirectory(path);
    }

    public IDisposable LockFile(string path, bool shared = false) => inner.LockFile(path, shared);

    private sealed class FaultyWritable(FaultInjectionFileSystem fs, IWritableFile file) : IWritableFile
    {
        public string Path => file.Path;

        public long Length => file.Length;

        public long Capacity => file.Capacity;

        public void Append(ReadOnlySpan<byte> data)
        {
            fs.Check(Path, writing: true);
            if (data.Length > 1 && fs.Fires(FaultKind.TornWrite, Path) is not null)
            {
                file.Append(data[..fs.NextInt(data.Length)]);
                file.Flush();
                fs.Die();
                throw new LatticeIOException($"Simulated crash while writing '{Path}'.", Path);
            }
            file.Append(data);
        }

        public void AppendRecord(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
        {
            Append(header);
            Append(payload);
        }

        public void EnsureRoom(long bytes)
        {
            // A full disk found while making room: nothing of the record is written yet.
            fs.Check(Path, writing: true);
            file.EnsureRoom(bytes);
        }

        public void Flush()
        {
            fs.Check(Path, writing: true);
            file.Flush();
        }

        public void Sync()
        {
            fs.Check(Path, writing: true);
            if (fs.Fires(FaultKind.FailSync, Path) is not null)
            {
                // As a real fsync fails: the data had reached the operating system first.
                file.Flush();
                throw new LatticeIOException($"fsync of '{Path}' failed (injected)", Path);
            }
            file.Sync();
        }

        public void Dispose()
        {
            if (fs.IsDead) return; // a dead process closes nothing; what it flushed stays on disk
            file.Dispose();
        }
    }

    private sealed class FaultyReader(FaultInjectionFileSystem fs, IRandomAccessFile file) : IRandomAccessFile
    {
        public string Path => file.Path;

        public long Length => file.Length;

        public int Read(long offset, Span<byte> buffer)
        {
            fs.Check(Path, writing: false);
            int n = file.Read(offset, buffer);
            if (n > 0 && fs.Fires(FaultKind.FlipBitOnRead, Path) is not null)
            {
                int bit = fs.NextInt(n * 8);
                buffer[bit / 8] ^= (byte)(1 << (bit % 8));
            }
            return n;
        }

        public void Dispose() => file.Dispose();
    }
}

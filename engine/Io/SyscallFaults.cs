namespace LatticeKV.Io;

/// <summary>A system call of the real file system whose result tests may replace.</summary>
internal enum Syscall
{
    /// <summary>fdatasync/fsync of a file.</summary>
    FileSync,
    /// <summary>fsync of a directory.</summary>
    DirectorySync,
    /// <summary>fallocate of a log's blocks.</summary>
    Reserve,
}

/// <summary>
/// Errors the real file system reports as though the kernel had returned them, for tests of
/// what the engine does with errno values a healthy test machine never produces (EROFS after
/// ext4 aborts its journal, EIO from a failing disk). The real call still runs first for
/// fsyncs, so the code path is the production one up to the errno it sees.
/// </summary>
internal sealed class SyscallFaults
{
    /// <summary>Given the call and the path, the errno to report, or 0 to report the real result.</summary>
    public Func<Syscall, string, int>? Errno { get; set; }

    /// <summary>How many calls were given an injected errno.</summary>
    public int Injected => Volatile.Read(ref _injected);

    private int _injected;

    internal int For(Syscall call, string path)
    {
        int errno = Errno?.Invoke(call, path) ?? 0;
        if (errno != 0) Interlocked.Increment(ref _injected);
        return errno;
    }
}

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LatticeKV.Io;

/// <summary>
/// POSIX calls .NET does not expose or does not report faithfully: a directory can only be
/// fsynced through a descriptor (File.OpenHandle refuses directories), and
/// <see cref="RandomAccess.FlushToDisk"/> ignores EROFS, EINVAL and ENOTSUP from fsync on Unix,
/// the first of which ext4 returns once it has aborted its journal.
/// </summary>
internal static partial class NativeMethods
{
    private const int O_RDONLY = 0;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string link);

    /// <summary>
    /// Makes <paramref name="link"/> a second name of <paramref name="existing"/>. False where that
    /// is impossible (another file system, no support): the caller copies instead.
    /// </summary>
    public static bool TryHardLink(string existing, string link)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        return Link(existing, link) == 0;
    }

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(int fd, int mode, long offset, long length);

    private const int FALLOC_FL_KEEP_SIZE = 1;
    private const int EINTR = 4;
    private const int ENOSPC = 28;
    private const int EDQUOT = 122;

    /// <summary>
    /// Reserves disk blocks for bytes [<paramref name="offset"/>, <paramref name="offset"/> +
    /// <paramref name="length"/>) without changing the file's size (FALLOC_FL_KEEP_SIZE), so
    /// growing the file within that range later cannot run out of space. Returns false where
    /// reservation is unsupported (the caller then avoids memory-mapped writes, whose
    /// out-of-space failure would be a SIGBUS); throws <see cref="LatticeIOException"/> for a
    /// full disk (<see cref="LatticeIOException.IsDiskFull"/>) and any other failure.
    /// </summary>
    public static bool Reserve(SafeFileHandle handle, string path, long offset, long length, int injectedErrno = 0)
    {
        if (!OperatingSystem.IsLinux()) return false;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int errno;
            do
            {
                errno = injectedErrno != 0 ? injectedErrno
                    : Fallocate((int)handle.DangerousGetHandle(), FALLOC_FL_KEEP_SIZE, offset, length) == 0 ? 0
                    : Marshal.GetLastPInvokeError();
            }
            while (errno == EINTR);
            if (errno == 0) return true;
            if (IsDiskFull(errno) || offset > 0)
                throw Failure($"Reserving bytes {offset}..{offset + length} of", path, errno);
            return false;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Forces a file's data (and the metadata needed to read it back, such as its size) to stable
    /// storage: fdatasync(2) on Linux, fsync(2) on other Unix systems, FlushFileBuffers on Windows.
    /// Every error is reported, as a <see cref="LatticeIOException"/> naming the file and the
    /// errno; after one, nothing is known about what reached the disk (Linux may even have
    /// dropped the dirty pages), so callers treat it as fatal for that file's unsynced data.
    /// </summary>
    public static void FlushToDisk(SafeFileHandle handle, string path, int injectedErrno = 0)
    {
        if (OperatingSystem.IsWindows())
        {
            if (injectedErrno != 0) throw Failure("fsync of", path, injectedErrno);
            try { RandomAccess.FlushToDisk(handle); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "fsync of", path); }
            return;
        }
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            int errno;
            do
            {
                int result = OperatingSystem.IsLinux() ? Fdatasync(fd) : Fsync(fd);
                errno = result == 0 ? 0 : Marshal.GetLastPInvokeError();
            }
            while (errno == EINTR);
            if (injectedErrno != 0) errno = injectedErrno;
            if (errno != 0) throw Failure("fsync of", path, errno);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long length, uint flags);

    private const uint SYNC_FILE_RANGE_WRITE = 2;

    /// <summary>
    /// Starts writing bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>)
    /// of a file to the disk without waiting for them (Linux sync_file_range, SYNC_FILE_RANGE_WRITE), so
    /// the disk works while the caller goes on and a later <see cref="FlushToDisk"/> finds less left to
    /// write. Only a hint: it promises nothing about durability, and where it is unavailable or fails
    /// nothing happens (the fsync that follows still writes everything).
    /// </summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long length)
    {
        if (!OperatingSystem.IsLinux()) return;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            _ = SyncFileRange((int)handle.DangerousGetHandle(), offset, length, SYNC_FILE_RANGE_WRITE);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRange(int fdIn, ref long offIn, int fdOut, ref long offOut, nuint length, uint flags);

    private const int EXDEV = 18;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;
    private const int EOPNOTSUPP = 95;

    /// <summary>
    /// Copies up to <paramref name="length"/> bytes of <paramref name="source"/> at
    /// <paramref name="sourceOffset"/> to <paramref name="destination"/> at
    /// <paramref name="destinationOffset"/> inside the kernel (Linux copy_file_range, as cp does: the
    /// bytes never pass through this process's memory). Returns the bytes copied, fewer only at the
    /// source's end; -1 when the kernel cannot copy between these two files (another file system,
    /// no support), and the caller copies through a buffer instead. Throws
    /// <see cref="LatticeIOException"/> naming <paramref name="path"/> (the destination) for an I/O error.
    /// </summary>
    public static long CopyRange(SafeFileHandle source, long sourceOffset, SafeFileHandle destination, long destinationOffset, long length, string path)
    {
        if (!OperatingSystem.IsLinux()) return -1;
        bool addedIn = false, addedOut = false;
        source.DangerousAddRef(ref addedIn);
        destination.DangerousAddRef(ref addedOut);
        try
        {
            int fdIn = (int)source.DangerousGetHandle(), fdOut = (int)destination.DangerousGetHandle();
            long copied = 0;
            while (copied < length)
            {
                long inOffset = sourceOffset + copied, outOffset = destinationOffset + copied;
                nint n = CopyFileRange(fdIn, ref inOffset, fdOut, ref outOffset, (nuint)(length - copied), 0);
                if (n > 0)
                {
                    copied += n;
                    continue;
                }
                if (n == 0) break;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                if (copied == 0 && errno is EXDEV or EINVAL or ENOSYS or EOPNOTSUPP) return -1;
                throw Failure("Copying into", path, errno);
            }
            return copied;
        }
        finally
        {
            if (addedIn) source.DangerousRelease();
            if (addedOut) destination.DangerousRelease();
        }
    }

    private static bool IsDiskFull(int errno) => errno is ENOSPC or EDQUOT;

    /// <summary>The error for a failed call: "fsync of '/db/000012.log' failed: EROFS (Read-only file system)".</summary>
    internal static LatticeIOException Failure(string operation, string path, int errno)
        => new($"{operation} '{path}' failed: {ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})", path, null, IsDiskFull(errno));

    internal static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM",
        5 => "EIO",
        9 => "EBADF",
        13 => "EACCES",
        22 => "EINVAL",
        ENOSPC => "ENOSPC",
        30 => "EROFS",
        95 => "ENOTSUP",
        EDQUOT => "EDQUOT",
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static unsafe partial int Madvise(void* address, nuint length, int advice);

    private const int MADV_DONTNEED = 4;

    /// <summary>
    /// Drops the pages of [<paramref name="address"/>, +<paramref name="length"/>) of a shared file
    /// mapping from this process's page tables (and so from its resident set). Their contents stay
    /// in the page cache, dirty ones included, and reading them again faults them back in from
    /// there. Best effort: returns false where unsupported or refused.
    /// </summary>
    public static unsafe bool ReleaseMappedPages(byte* address, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return false;
        try { return Madvise(address, (nuint)length, MADV_DONTNEED) == 0; }
        catch (EntryPointNotFoundException) { return false; }
    }

    // Linux 5.14 and later; older kernels refuse it with EINVAL.
    private const int MADV_POPULATE_WRITE = 23;

    /// <summary>
    /// Maps the pages of [<paramref name="address"/>, +<paramref name="length"/>) of a shared file
    /// mapping writable in one call, as writing a byte to each would, but without a page fault per
    /// page. The range must lie within the file. Best effort: returns false where unsupported or
    /// refused (the pages then fault in one by one when written, as before).
    /// </summary>
    public static unsafe bool PopulateMappedPages(byte* address, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return false;
        try { return Madvise(address, (nuint)length, MADV_POPULATE_WRITE) == 0; }
        catch (EntryPointNotFoundException) { return false; }
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static unsafe partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static unsafe partial int Munmap(void* address, nuint length);

    // The same values on every Linux architecture .NET runs on (x64, arm64, arm).
    private const int PROT_READ = 1;
    private const int PROT_WRITE = 2;
    private const int MAP_PRIVATE = 2;
    private const int MAP_ANONYMOUS = 0x20;
    private const int MADV_HUGEPAGE = 14;
    private const nuint HugePageSize = 2 << 20;

    /// <summary>
    /// Maps <paramref name="length"/> bytes of fresh anonymous memory (zero-filled; pages become
    /// resident when first touched). Null where it fails (the caller falls back or throws).
    /// Linux only.
    /// </summary>
    public static unsafe void* MapAnonymous(nuint length)
    {
        void* address = Mmap(null, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (address == (void*)-1) return null;
        // Large blocks in transparent huge pages where the system allows them only on request
        // (enabled = madvise): one fault per 2 MiB instead of per 4 KiB page when first touched,
        // and fewer TLB misses for a hash table's random probes. A refusal changes nothing.
        if (length >= HugePageSize) Madvise(address, length, MADV_HUGEPAGE);
        return address;
    }

    /// <summary>
    /// Unmaps what <see cref="MapAnonymous"/> returned: the pages leave the resident set at once.
    /// False when the kernel refused (a wrong address or length).
    /// </summary>
    public static unsafe bool Unmap(void* address, nuint length) => Munmap(address, length) == 0;

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    private const int PRIO_PROCESS = 0;

    /// <summary>
    /// Gives the calling thread a higher nice value (Linux schedules threads individually), so
    /// that compaction yields the CPU to the application's reads and writes when both want it.
    /// Best effort: elsewhere, or when refused, nothing changes.
    /// </summary>
    public static void LowerCurrentThreadPriority(int nice)
    {
        if (!OperatingSystem.IsLinux() || nice <= 0) return;
        try { _ = SetPriority(PRIO_PROCESS, GetTid(), nice); }
        catch (EntryPointNotFoundException) { }
        catch (DllNotFoundException) { }
    }

    /// <summary>fsync(2) on a directory so that renames and creates inside it are durable. Every error is reported.</summary>
    public static void SyncDirectory(string path, int injectedErrno = 0)
    {
        if (OperatingSystem.IsWindows()) return; // NTFS journals directory metadata; there is no directory fsync.
        int fd = Open(path, O_RDONLY);
        if (fd < 0) throw Failure("Opening directory for fsync:", path, Marshal.GetLastPInvokeError());
        try
        {
            int errno;
            do errno = Fsync(fd) == 0 ? 0 : Marshal.GetLastPInvokeError();
            while (errno == EINTR);
            if (injectedErrno != 0) errno = injectedErrno;
            if (errno != 0) throw Failure("fsync of directory", path, errno);
        }
        finally
        {
            _ = Close(fd);
        }
    }
}

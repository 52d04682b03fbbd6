using System.Collections.Concurrent;

namespace LatticeKV.Backup;

/// <summary>
/// The temporary files of log archives being written in this process, by store and path: a
/// collection (<see cref="LogArchive.Collect"/>, even an explicit <see cref="BackupEngine.GarbageCollect"/>)
/// never deletes one, since the archiver's rename would then fail and the whole log be archived
/// again. A store is known by its <see cref="IBackupStorage.Location"/>, so two engines opened on
/// one directory see each other's. Temporaries another process is writing are not known here:
/// only an explicit collection removes those, and the archiver then keeps its log and retries.
/// Thread-safe.
/// </summary>
internal static class ArchiveTemporaries
{
    private static readonly ConcurrentDictionary<string, byte> InProgress = new(StringComparer.Ordinal);

    private static string Key(IBackupStorage storage, string path) => storage.Location + "\n" + path;

    /// <summary>Marks <paramref name="path"/> as being written until the returned handle is disposed.</summary>
    public static Registration Register(IBackupStorage storage, string path)
    {
        string key = Key(storage, path);
        InProgress[key] = 0;
        return new Registration(key);
    }

    /// <summary>Whether <paramref name="path"/> of <paramref name="storage"/> is an archive being written in this process.</summary>
    public static bool IsInProgress(IBackupStorage storage, string path) => InProgress.ContainsKey(Key(storage, path));

    /// <summary>Ends a registration (after the temporary was renamed into place or removed).</summary>
    public readonly struct Registration(string key) : IDisposable
    {
        public void Dispose() => InProgress.TryRemove(key, out _);
    }
}

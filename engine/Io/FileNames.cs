using System.Globalization;

namespace LatticeKV.Io;

/// <summary>Kinds of files in a database directory (FORMAT.md, "Directory layout").</summary>
internal enum DbFileKind
{
    Unknown,
    Log,
    Table,
    Manifest,
    Current,
    Lock,
    Temp,
    Options,
    InfoLog,
    Identity,
    Healings,
    StorageHistory,
    LiveStats,
    HotSet,
    Events,
    Blob,
}

/// <summary>Names of the files in a database directory. Persistent format: do not change.</summary>
internal static class FileNames
{
    public const string Current = "CURRENT";
    public const string Lock = "LOCK";
    public const string InfoLog = "LOG";
    public const string Identity = "IDENTITY";
    public const string Healings = "HEALINGS";
    public const string StorageHistory = "STORAGE-HISTORY";
    public const string LiveStats = "LIVE-STATS";
    public const string HotSet = "HOTSET";
    public const string Events = "EVENTS";
    public const string EventsOld = "EVENTS.old";

    public static string Log(string db, long number) => Path.Combine(db, LogName(number));

    public static string LogName(long number) => number.ToString("D6", CultureInfo.InvariantCulture) + ".log";

    public static string Table(string db, long number) => Path.Combine(db, TableName(number));

    public static string TableName(long number) => number.ToString("D6", CultureInfo.InvariantCulture) + ".sst";

    public static string Blob(string db, long number) => Path.Combine(db, BlobName(number));

    public static string BlobName(long number) => number.ToString("D6", CultureInfo.InvariantCulture) + ".blob";

    public static string Manifest(string db, long number) => Path.Combine(db, ManifestName(number));

    public static string ManifestName(long number) => "MANIFEST-" + number.ToString("D6", CultureInfo.InvariantCulture);

    public static string Temp(string db, long number) => Path.Combine(db, number.ToString("D6", CultureInfo.InvariantCulture) + ".dbtmp");

    public static string Options(string db, long number) => Path.Combine(db, "OPTIONS-" + number.ToString("D6", CultureInfo.InvariantCulture));

    public static string CurrentPath(string db) => Path.Combine(db, Current);

    public static string LockPath(string db) => Path.Combine(db, Lock);

    /// <summary>Whether files of <paramref name="kind"/> are named by a file number (the ones obsolete-file deletion and the number counter consider).</summary>
    public static bool IsNumbered(DbFileKind kind) => kind is DbFileKind.Log or DbFileKind.Table or DbFileKind.Blob or DbFileKind.Manifest or DbFileKind.Temp or DbFileKind.Options;

    /// <summary>Classifies a file name; <paramref name="number"/> is its file number where it has one.</summary>
    public static DbFileKind Parse(string name, out long number)
    {
        number = 0;
        switch (name)
        {
            case Current: return DbFileKind.Current;
            case Lock: return DbFileKind.Lock;
            case InfoLog: return DbFileKind.InfoLog;
            case Identity: return DbFileKind.Identity;
            case Healings: return DbFileKind.Healings;
            case StorageHistory or StorageHistory + ".tmp": return DbFileKind.StorageHistory;
            case LiveStats or LiveStats + ".tmp": return DbFileKind.LiveStats;
            case HotSet: return DbFileKind.HotSet;
            case Events or EventsOld: return DbFileKind.Events;
        }
        if (name.StartsWith("MANIFEST-", StringComparison.Ordinal))
            return TryNumber(name.AsSpan(9), out number) ? DbFileKind.Manifest : DbFileKind.Unknown;
        if (name.StartsWith("OPTIONS-", StringComparison.Ordinal))
            return TryNumber(name.AsSpan(8), out number) ? DbFileKind.Options : DbFileKind.Unknown;
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !TryNumber(name.AsSpan(0, dot), out number)) return DbFileKind.Unknown;
        return name[(dot + 1)..] switch
        {
            "log" => DbFileKind.Log,
            "sst" => DbFileKind.Table,
            "blob" => DbFileKind.Blob,
            "dbtmp" => DbFileKind.Temp,
            _ => DbFileKind.Unknown,
        };
    }

    private static bool TryNumber(ReadOnlySpan<char> s, out long number)
    {
        number = 0;
        if (s.IsEmpty) return false;
        foreach (char c in s)
            if (c is < '0' or > '9') return false;
        return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }
}

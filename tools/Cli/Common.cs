using System.CommandLine;
using LatticeKV.Db;
using LatticeKV.Inspect;
using LatticeKV.Io;

namespace LatticeKV.Tool.Cli;

/// <summary>Arguments and options several commands share, and opening a database for them.</summary>
public static class Common
{
    public static Argument<string> Db() => new("db") { Description = "Database directory." };

    public static Option<string?> ColumnFamily() => new("--cf") { Description = "Column family (default: default)." };

    public static Option<ByteFormat> Format() => new("--format", "-f")
    {
        Description = "How keys and values are given and shown: auto (UTF-8, or hex when given as 0x… or not printable), utf8, hex or base64.",
        DefaultValueFactory = _ => ByteFormat.Auto,
    };

    public static Option<ByteFormat?> KeyFormat() => new("--key-format") { Description = "Format for keys only (overrides --format)." };

    public static Option<ByteFormat?> ValueFormat() => new("--value-format") { Description = "Format for values only (overrides --format)." };

    public static Option<bool> Json() => new("--json") { Description = "Write JSON instead of text." };

    /// <summary>
    /// Opens an existing database; never creates one unless asked. An encrypted one opens with
    /// the key the command line gives (<see cref="KeyOptions"/>) and the default column family's
    /// stored options, so that opening it never turns that family's encryption off; a database
    /// created with a key has its default family encrypted.
    /// </summary>
    public static LatticeDb Open(string path, ParseResult r, bool createIfMissing = false, Action<DbOptions>? configure = null)
    {
        string full = Path.GetFullPath(path);
        var options = new DbOptions { CreateIfMissing = createIfMissing };
        if (EncryptionFor(full, r, creating: createIfMissing) is { } encryption)
        {
            options.Encryption = encryption;
            options.DefaultColumnFamilyOptions = DatabaseInspector.StoredDefaultOptions(RealFileSystem.Instance, full, encryption) ?? new ColumnFamilyOptions { Encrypted = true };
        }
        configure?.Invoke(options);
        return LatticeDb.Open(full, options);
    }

    /// <summary>
    /// Opens an existing database read-only: nothing in the directory changes, several readers
    /// may run at once, and a database another process writes to is reported as locked.
    /// </summary>
    public static LatticeDb OpenReadOnly(string path, ParseResult r)
    {
        string full = Path.GetFullPath(path);
        return LatticeDb.OpenReadOnly(full, new DbOptions { Encryption = EncryptionFor(full, r, creating: false) });
    }

    /// <summary>
    /// The key the command line gives, when <paramref name="path"/> is an encrypted database (or
    /// one about to be created); null otherwise, so a key never turns a plaintext database into
    /// an encrypted one and a missing key fails in the engine with its own message.
    /// </summary>
    public static EncryptionOptions? EncryptionFor(string path, ParseResult r, bool creating)
    {
        var encryption = KeyOptions.From(r);
        if (encryption is null) return null;
        var fs = RealFileSystem.Instance;
        bool exists = fs.FileExists(FileNames.CurrentPath(path));
        return DatabaseKeys.IsEncrypted(fs, path) || (creating && !exists) ? encryption : null;
    }

    /// <summary>The named column family, or a <see cref="ColumnFamilyNotFoundException"/> whose message lists the ones that exist.</summary>
    public static ColumnFamilyHandle Family(LatticeDb db, string? name)
    {
        if (name is null) return db.DefaultColumnFamily;
        if (db.TryGetColumnFamily(name, out var handle)) return handle;
        throw new UnknownColumnFamilyException(name, db.ColumnFamilies.Select(c => c.Name));
    }
}

/// <summary>A column family the database does not have (exit code 5), naming those it has.</summary>
public sealed class UnknownColumnFamilyException(string name, IEnumerable<string> existing)
    : Exception($"column family '{name}' does not exist; the database has: {string.Join(", ", existing)}.");

/// <summary>A file or directory the command needs does not exist (exit code 3).</summary>
public sealed class PathNotFoundException(string path)
    : Exception($"'{path}' does not exist.");

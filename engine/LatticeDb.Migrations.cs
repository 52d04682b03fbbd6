using LatticeKV.Io;
using LatticeKV.Migrations;

namespace LatticeKV;

// Schema versions and migrations (engine/Migrations): the public members, and the open-time
// steps (check before writing, finish a pending rollback, run the steps, roll back on failure).
public sealed partial class LatticeDb
{
    /// <summary>
    /// Entries a migration pass or publish handles per atomic batch (fewer when the batch reaches
    /// <see cref="MigrationBatchBytes"/>): what a crash can cost in repeated work.
    /// </summary>
    public const int MigrationBatchEntries = 1000;

    /// <summary>The size at which a migration batch is committed before reaching <see cref="MigrationBatchEntries"/>.</summary>
    public const long MigrationBatchBytes = 4L << 20;

    /// <summary>
    /// The schema version of <paramref name="columnFamily"/>: the <see cref="Migration.ToVersion"/>
    /// of the last migration step committed for it, or 0 when it never had one.
    /// </summary>
    public int GetSchemaVersion(ColumnFamilyHandle columnFamily)
    {
        CheckHandle(columnFamily);
        if (SchemaFamily(create: false) is not { } schema) return 0;
        var value = Get(schema, SchemaRecords.VersionKey(columnFamily.Name));
        return value is null ? 0 : SchemaRecords.DecodeVersion(value, columnFamily.Name);
    }

    /// <summary>
    /// The migration step under way, or null: a crash (or an open without the step in
    /// <see cref="DbOptions.Migrations"/>) left it there, and the next <see cref="Open"/> with
    /// the step resumes it. Readable on a read-only instance (<c>lkv migrate --status</c>).
    /// </summary>
    public MigrationProgress? MigrationInProgress
    {
        get
        {
            ThrowIfClosed();
            if (SchemaFamily(create: false) is not { } schema || Get(schema, SchemaRecords.StateKey) is not { } value) return null;
            try { return MigrationStateCodec.Decode(value); }
            catch (CorruptionException ex) { throw ex.At(_path); }
        }
    }

    /// <summary>The hidden family of schema versions and migration state; null when absent and not created.</summary>
    internal ColumnFamilyHandle? SchemaFamily(bool create)
    {
        if (TryGetFamilyAnyName(SchemaRecords.FamilyName, out var schema)) return schema;
        return create ? CreateColumnFamilyCore(SchemaRecords.FamilyName, new ColumnFamilyOptions { Encrypted = HasEncryption }) : null;
    }

    /// <summary>Every stored schema version, by family name (families without one are absent).</summary>
    internal Dictionary<string, int> StoredSchemaVersions()
    {
        var versions = new Dictionary<string, int>(StringComparer.Ordinal);
        if (SchemaFamily(create: false) is not { } schema) return versions;
        using var it = NewIterator(schema);
        for (it.Seek("v"u8); it.Valid && it.Key[0] == (byte)'v'; it.Next())
        {
            string family = SchemaRecords.FamilyOfVersionKey(it.Key)!;
            versions[family] = SchemaRecords.DecodeVersion(it.Value, family);
        }
        return versions;
    }

    /// <summary>
    /// Before <see cref="Open"/> writes anything: reads the stored versions through a read-only
    /// open and throws <see cref="SchemaVersionException"/> (or a gap's
    /// <see cref="InvalidArgumentException"/>) while the directory is still untouched.
    /// </summary>
    private static void CheckSchemaBeforeOpen(string path, DbOptions options)
    {
        if (options.Migrations.Count == 0 || !options.FileSystem.FileExists(FileNames.CurrentPath(path))) return;
        if (MigrationCheckpoint.RollbackPending(options.FileSystem, path)) return; // the open finishes the rollback, then checks
        using var db = OpenReadOnly(path, options);
        MigrationPlan.Pending([.. options.Migrations], db.StoredSchemaVersions());
    }

    /// <summary>A rollback interrupted by a crash is finished before anything else reads the directory.</summary>
    private void FinishPendingRollback()
    {
        if (MigrationCheckpoint.RollbackPending(_fs, _path)) MigrationCheckpoint.Restore(_fs, _path, _options.TestHooks?.MigrationRestoreFile);
    }

    private void RunMigrations()
    {
        if (_options.Migrations.Count == 0) return;
        new MigrationRunner(this, [.. _options.Migrations], _options.OnMigrationProgress, _options.TestHooks?.AfterMigrationWrite).Run();
    }

    /// <summary>
    /// After a failed step: closes the database as any close does (the failure came after
    /// background work, index builds and replication started), then goes back to the
    /// checkpoint under the directory lock.
    /// </summary>
    private MigrationException RollBack(MigrationStepFailure failure)
    {
        try { Close(); }
        catch (LatticeIOException) { } // the final sync: what it would have kept is discarded now
        using (_fs.LockFile(FileNames.LockPath(_path)))
        {
            MigrationCheckpoint.BeginRollback(_fs, _path);
            MigrationCheckpoint.Restore(_fs, _path, _options.TestHooks?.MigrationRestoreFile);
        }
        return new MigrationException(failure.StepName, failure.InnerException!);
    }
}

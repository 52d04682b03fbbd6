using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Db;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.HealingSupport;

namespace LatticeKV.Tests.Backup;

public sealed class SelfHealingTests
{
    private static DbOptions Healing(string backup, Action<DbOptions>? configure = null) => Options(o =>
    {
        o.RecoverFromBackup = backup;
        configure?.Invoke(o);
    });

    /// <summary>A database of several tables, healing from <paramref name="healFrom"/>, backed up to "backup".</summary>
    private static LatticeDb OpenBackedUp(TempDir dir, string healFrom, out List<TableCopy> tables)
    {
        var db = LatticeDb.Open(dir.Sub("db"), Healing(dir.Sub(healFrom)));
        Fill(db);
        tables = ShareTables(db, dir.Sub("backup"));
        return db;
    }

    private static void AssertHealed(LatticeDb db, TableCopy table, int times = 1)
    {
        Assert.Equal(File.ReadAllBytes(table.SharedPath), File.ReadAllBytes(table.Path));
        Assert.Equal(times, db.GetStatistics()["backup.healed.tables"]);
        Assert.Equal(times.ToString(System.Globalization.CultureInfo.InvariantCulture), db.GetProperty("lattice.backup.healed-tables"));
        var healing = db.GetTableHealings()[^1];
        Assert.True(healing.Healed, healing.Detail);
        Assert.Equal(table.Number, healing.FileNumber);
        Assert.Equal(table.Path, healing.FilePath);
        Assert.Contains(table.SharedPath, healing.Detail, StringComparison.Ordinal);
        Assert.Contains(table.Path, db.GetProperty("lattice.backup.healings"), StringComparison.Ordinal);
        Assert.False(File.Exists(LatticeKV.Io.FileNames.Temp(db.Path, table.Number)));
    }

    [Fact]
    public void Get_DataBlockDamagedInOpenDatabase_ReturnsTheValueAndReplacesTheFile()
    {
        using var dir = new TempDir("heal");
        using var db = OpenBackedUp(dir, "backup", out var tables);
        var damaged = tables[1];
        DamageDataBlock(damaged.Path);
        Assert.NotEqual(File.ReadAllBytes(damaged.SharedPath), File.ReadAllBytes(damaged.Path));

        Assert.Equal(Value(Index(damaged.FirstKey)), db.Get(damaged.FirstKey));
        AssertHealed(db, damaged);
        AssertAllData(db);
    }

    [Fact]
    public void Iterator_TableDamagedMidScan_ReturnsEveryEntry()
    {
        using var dir = new TempDir("heal");
        using var db = OpenBackedUp(dir, "backup", out var tables);
        var damaged = tables[^1];
        using var it = db.NewIterator();
        int n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), n++)
        {
            if (n == 10) DamageDataBlock(damaged.Path); // the scan has not reached that table yet
            Assert.Equal(Key(n), it.Key.ToArray());
            Assert.Equal(Value(n), it.Value.ToArray());
        }
        Assert.Equal(KeyCount, n);
        AssertHealed(db, damaged);
    }

    [Fact]
    public void Get_TableDeletedAndClosed_IsRestored()
    {
        using var dir = new TempDir("heal");
        using var db = OpenBackedUp(dir, "backup", out var tables);
        var lost = tables[0];
        File.Delete(lost.Path);
        db.Tables.Evict(lost.Number); // as the table cache does to make room: the next read opens the file
        Assert.Equal(Value(Index(lost.FirstKey)), db.Get(lost.FirstKey));
        AssertHealed(db, lost);
        AssertAllData(db);
    }

    [Theory]
    [InlineData(StartupCheckTests.Damage.Missing, StartupCheck.Quick)]
    [InlineData(StartupCheckTests.Damage.Truncated, StartupCheck.Quick)]
    [InlineData(StartupCheckTests.Damage.Footer, StartupCheck.Quick)]
    [InlineData(StartupCheckTests.Damage.Index, StartupCheck.Quick)]
    [InlineData(StartupCheckTests.Damage.DataBlock, StartupCheck.Full)]
    [InlineData(StartupCheckTests.Damage.Truncated, StartupCheck.Full)]
    public void Open_DamagedTable_IsHealedBeforeOpenReturns(StartupCheckTests.Damage damage, StartupCheck check)
    {
        using var dir = new TempDir("heal");
        var tables = StartupCheckTests.Build(dir.Sub("db"), dir.Sub("backup"));
        StartupCheckTests.Apply(damage, tables[1].Path);
        using var db = LatticeDb.Open(dir.Sub("db"), Healing(dir.Sub("backup"), o => o.StartupCheck = check));
        AssertHealed(db, tables[1]);
        AssertAllData(db);
    }

    [Fact]
    public void Compaction_MeetsDamagedTable_HealsAndCompletes()
    {
        using var dir = new TempDir("heal");
        using var db = OpenBackedUp(dir, "backup", out var tables);
        for (int i = 0; i < KeyCount; i += 2) db.Put(Key(i), Value(i)); // level 0 over every level-1 table
        DamageDataBlock(tables[1].Path);
        db.CompactRange();
        Assert.Equal(1, db.GetStatistics()["backup.healed.tables"]);
        Assert.Equal("", db.GetProperty("lattice.background-error"));
        Assert.Equal("0", db.GetProperty("lattice.num-files-at-level0"));
        Assert.DoesNotContain(tables, t => File.Exists(t.Path)); // all compacted away
        AssertAllData(db);
    }

    [Fact]
    public void Get_NoBackupHoldsTheTable_ThrowsAndTheRestStaysReadable()
    {
        using var dir = new TempDir("heal");
        Directory.CreateDirectory(dir.Sub("empty"));
        using var db = OpenBackedUp(dir, "empty", out var tables); // backed up to a directory it does not heal from
        var damaged = tables[1];
        DamageDataBlock(damaged.Path);
        var before = File.ReadAllBytes(damaged.Path);

        var ex = Assert.Throws<CorruptionException>(() => db.Get(damaged.FirstKey));
        Assert.Equal(damaged.Path, ex.FilePath);
        Assert.Equal(before, File.ReadAllBytes(damaged.Path));
        var healing = Assert.Single(db.GetTableHealings());
        Assert.False(healing.Healed);
        Assert.Contains("no copy", healing.Detail, StringComparison.Ordinal);
        Assert.Equal(1, db.GetStatistics()["backup.heal.failures"]);
        Assert.Equal(0, db.GetStatistics()["backup.healed.tables"]);
        foreach (var t in tables.Where(t => t != damaged))
            Assert.Equal(Value(Index(t.FirstKey)), db.Get(t.FirstKey));
        // A scan reads everything before the damaged table, and stops there naming it.
        int n = 0;
        var scan = Assert.Throws<CorruptionException>(() =>
        {
            using var it = db.NewIterator();
            for (it.SeekToFirst(); it.Valid; it.Next()) Assert.Equal(Key(n++), it.Key.ToArray());
        });
        Assert.Equal(damaged.Path, scan.FilePath);
        Assert.Equal(Index(damaged.FirstKey), n);
        using var after = db.NewIterator();
        after.Seek(tables[2].FirstKey);
        Assert.Equal(Value(Index(tables[2].FirstKey)), after.Value.ToArray());
    }

    [Fact]
    public void Heal_BackupCopyWithWrongChecksum_IsRefusedNeverInstalled()
    {
        using var dir = new TempDir("heal");
        using var db = OpenBackedUp(dir, "backup", out var tables);
        var damaged = tables[1];
        // The backup's copy is damaged too, elsewhere: it still opens as a table, only its checksum tells.
        Flip(damaged.SharedPath, damaged.Size / 3);
        DamageDataBlock(damaged.Path);
        var before = File.ReadAllBytes(damaged.Path);

        Assert.Throws<CorruptionException>(() => db.Get(damaged.FirstKey));
        Assert.Equal(before, File.ReadAllBytes(damaged.Path));
        Assert.False(File.Exists(LatticeKV.Io.FileNames.Temp(db.Path, damaged.Number)));
        var healing = Assert.Single(db.GetTableHealings());
        Assert.False(healing.Healed);
        Assert.Contains("checksum", healing.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenReadOnly_WithBackup_ReportsDamageWithoutHealing()
    {
        using var dir = new TempDir("heal");
        var tables = StartupCheckTests.Build(dir.Sub("db"), dir.Sub("backup"));
        DamageDataBlock(tables[0].Path);
        var before = File.ReadAllBytes(tables[0].Path);
        using var db = LatticeDb.OpenReadOnly(dir.Sub("db"), Healing(dir.Sub("backup")));
        Assert.Throws<CorruptionException>(() => db.Get(tables[0].FirstKey));
        Assert.Equal(before, File.ReadAllBytes(tables[0].Path));
        Assert.Empty(db.GetTableHealings());
    }

    [Fact]
    public void Get_EncryptedDatabase_HealsWithTheSealedCopy()
    {
        using var dir = new TempDir("heal");
        var key = EncryptionSupport.NewKey();
        var sentinel = EncryptionSupport.Sentinel();
        var options = EncryptionSupport.Options(key);
        options.RecoverFromBackup = dir.Sub("backup");
        options.TargetFileSizeBase = 16 * 1024;
        using var db = LatticeDb.Open(dir.Sub("db"), options);
        Fill(db);
        db.Put(Key(KeyCount - 1), sentinel);
        db.CompactRange();
        var tables = ShareTables(db, dir.Sub("backup"));
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Sub("backup"), [sentinel]));
        var damaged = tables[^1];
        DamageDataBlock(damaged.Path);

        Assert.Equal(Value(Index(damaged.FirstKey)), db.Get(damaged.FirstKey));
        Assert.Equal(sentinel, db.Get(Key(KeyCount - 1)));
        AssertHealed(db, damaged); // byte for byte the sealed copy: nothing was decrypted on the way
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Sub("db"), [sentinel]));
    }
}

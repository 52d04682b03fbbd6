using System.Text;

namespace LatticeKV.Tests.Migrations;

/// <summary>The ledger's accounts as the migration tests use them: version 1 stores "name=First Last;balance=N", version 2 splits the name.</summary>
internal static class Ledger
{
    public static byte[] Key(int i) => Encoding.UTF8.GetBytes($"account/{i:D7}");

    public static byte[] V1(int i) => Encoding.UTF8.GetBytes($"name=Given{i} Family{i % 97};balance={i * 3}");

    /// <summary>The model of the split: what version 2 holds for account <paramref name="i"/>.</summary>
    public static byte[] V2(int i) => Encoding.UTF8.GetBytes($"first=Given{i};last=Family{i % 97};balance={i * 3}");

    /// <summary>The migration's transform: lkv migrate-child's, so the in-process tests and the killed child run the same code (checked against <see cref="V2"/>).</summary>
    public static byte[] Split(ReadOnlySpan<byte> value) => global::LatticeKV.Tool.Migrate.MigrateChildCommand.SplitName(value);

    /// <summary>Version 1 of accounts: no data changes, the version the ledger's first release declared.</summary>
    public static Migration Initial(string family = "accounts") => new(family, 0, 1, "accounts v1", _ => { });

    public static Migration SplitName(string family = "accounts") => MigrationSteps.TransformValues(family, 1, 2, (_, v) => Split(v), "split name");

    /// <summary>Creates the ledger at <paramref name="path"/> at version 1 with <paramref name="count"/> accounts and one unrelated family.</summary>
    public static void Create(string path, int count, DbOptions? options = null)
    {
        options ??= new DbOptions();
        options.Migrations.Clear();
        options.Migrations.Add(Initial());
        using var db = LatticeDb.Open(path, options);
        var accounts = db.CreateColumnFamily("accounts", options.ColumnFamilyOptions.TryGetValue("accounts", out var o) ? o : null);
        var other = db.CreateColumnFamily("other");
        var batch = new WriteBatch();
        for (int i = 0; i < count; i++)
        {
            batch.Put(accounts, Key(i), V1(i));
            if (i % 10 == 0) batch.Put(other, Key(i), "x"u8);
            if (batch.Count >= 10_000)
            {
                db.Write(batch);
                batch.Clear();
            }
        }
        db.Write(batch);
        options.Migrations.Clear();
    }

    /// <summary>Every family's entries, hidden ones included, as "family: HEXKEY=HEXVALUE" lines.</summary>
    public static List<string> Dump(LatticeDb db, bool hidden = true)
    {
        var lines = new List<string>();
        var families = hidden ? db.ColumnFamilies.Concat(db.HiddenFamilies()) : db.ColumnFamilies;
        foreach (var cf in families.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            lines.Add("# " + cf.Name);
            using var it = db.NewIterator(cf);
            for (it.SeekToFirst(); it.Valid; it.Next()) lines.Add(cf.Name + ": " + Convert.ToHexString(it.Key) + "=" + Convert.ToHexString(it.Value));
        }
        return lines;
    }
}

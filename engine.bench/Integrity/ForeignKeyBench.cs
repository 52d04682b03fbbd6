using System.Diagnostics;
using System.Globalization;
using System.Text;
using LatticeKV.Bench.Runner;

namespace LatticeKV.Bench.Integrity;

/// <summary>
/// <c>foreignkeys</c>: the cost of a foreign key on the write path, side by side in one run:
/// fillrandom of child rows (ledger transactions naming an account) without and with the key,
/// parents preloaded; then parent deletes under Restrict (each parent's children deleted first, so
/// the delete is allowed after its index lookup) and under Cascade (each delete takes its children).
/// Each case runs in a fresh database.
/// </summary>
public static class ForeignKeyBench
{
    public static int Run(string[] args)
    {
        long children = CompareCommand.LongArg(args, "--num", 1_000_000);
        int accounts = (int)CompareCommand.LongArg(args, "--accounts", 10_000);
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-fk-bench")));
        var lines = new List<string> { $"foreignkeys: {children:N0} children over {accounts:N0} accounts" };
        lines.Add(Fill(root, children, accounts, withKey: false));
        lines.Add(Fill(root, children, accounts, withKey: true));
        lines.Add(DeleteParents(root, children, accounts, ForeignKeyAction.Restrict));
        lines.Add(DeleteParents(root, children, accounts, ForeignKeyAction.Cascade));
        foreach (var line in lines) Console.WriteLine(line);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        return 0;
    }

    private static string Fill(string root, long children, int accounts, bool withKey)
    {
        using var setup = Setup(root, accounts, withKey ? ForeignKeyAction.Restrict : null);
        var rnd = new Random(42);
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < children; i++)
            setup.Db.Put(setup.Children, Key("t", rnd.NextInt64(children * 4)), Child(rnd.Next(accounts)));
        return Line($"fillrandom children, {(withKey ? "with a foreign key" : "no foreign key")}", children, sw.Elapsed);
    }

    private static string DeleteParents(string root, long children, int accounts, ForeignKeyAction action)
    {
        using var setup = Setup(root, accounts, action);
        for (long i = 0; i < children; i++) setup.Db.Put(setup.Children, Key("t", i), Child((int)(i % accounts)));
        var sw = Stopwatch.StartNew();
        for (int a = 0; a < accounts; a++)
        {
            if (action == ForeignKeyAction.Restrict)
                for (long i = a; i < children; i += accounts) setup.Db.Delete(setup.Children, Key("t", i));
            setup.Db.Delete(setup.Parents, Key("a", a));
        }
        string what = action == ForeignKeyAction.Restrict ? "delete parents, Restrict (children deleted first, timed too)" : "delete parents, Cascade (children deleted by the key)";
        return Line(what, accounts, sw.Elapsed) + string.Create(CultureInfo.InvariantCulture, $" [{children:N0} children]");
    }

    private sealed class Ledger(string path, LatticeDb db, ColumnFamilyHandle parents, ColumnFamilyHandle children) : IDisposable
    {
        public LatticeDb Db { get; } = db;
        public ColumnFamilyHandle Parents { get; } = parents;
        public ColumnFamilyHandle Children { get; } = children;

        public void Dispose()
        {
            Db.Dispose();
            Directory.Delete(path, recursive: true);
        }
    }

    private static Ledger Setup(string root, int accounts, ForeignKeyAction? action)
    {
        string path = Path.Combine(root, Guid.NewGuid().ToString("N")[..8]);
        var db = LatticeDb.Open(path);
        var parents = db.CreateColumnFamily("accounts");
        var children = db.CreateColumnFamily("transactions");
        for (int a = 0; a < accounts; a++) db.Put(parents, Key("a", a), "{}"u8);
        if (action is { } onDelete)
            db.AddForeignKey(new ForeignKeyDefinition { Name = "transaction-account", ChildFamily = children, ParentKey = IndexExtractors.JsonField("$.account"), ParentFamily = parents, OnDelete = onDelete });
        return new Ledger(path, db, parents, children);
    }

    private static byte[] Key(string prefix, long n) => Encoding.ASCII.GetBytes(prefix + n.ToString("D10", CultureInfo.InvariantCulture));

    private static byte[] Child(int account) => Encoding.ASCII.GetBytes($"{{\"account\":\"a{account:D10}\",\"amount\":100,\"memo\":\"bench\"}}");

    private static string Line(string what, long ops, TimeSpan elapsed)
        => string.Create(CultureInfo.InvariantCulture, $"  {what,-72} {ops / elapsed.TotalSeconds,12:N0} ops/s  {elapsed.TotalMilliseconds * 1000 / ops,8:N1} us/op");
}

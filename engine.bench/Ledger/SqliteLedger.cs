using Microsoft.Data.Sqlite;

namespace LatticeKV.Bench.Ledger;

/// <summary>
/// The ledger and the documents in SQLite (Microsoft.Data.Sqlite): a table of transactions keyed by
/// id with an index on (account, order), the same index LatticeKV keeps; documents in an FTS5 table
/// (unicode61 tokenizer, ranked by bm25). WAL journal, <c>synchronous=NORMAL</c>, the same cache
/// budget as LatticeKV's block cache; prepared statements on one connection.
/// </summary>
public sealed class SqliteLedger : ILedgerStore
{
    private readonly SqliteConnection _c;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _newest;
    private SqliteCommand? _addDoc;
    private SqliteCommand? _search;
    private readonly string _file;

    private readonly bool _clustered;

    public bool Clustered => _clustered;

    public SqliteLedger(string directory, long cacheBytes, bool clustered = false)
    {
        _clustered = clustered;
        Directory.CreateDirectory(directory);
        _cacheBytes = cacheBytes;
        _file = Path.Combine(directory, "ledger.sqlite");
        _c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _file, Pooling = false }.ToString());
        _c.Open();
        Exec("PRAGMA journal_mode=WAL");
        Exec("PRAGMA synchronous=NORMAL");
        Exec($"PRAGMA cache_size=-{cacheBytes / 1024}");
        if (clustered)
        {
            Exec("CREATE TABLE IF NOT EXISTS tx (account TEXT NOT NULL, ord INTEGER NOT NULL, txid TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (account, ord)) WITHOUT ROWID");
            Exec("CREATE UNIQUE INDEX IF NOT EXISTS tx_by_id ON tx (txid)");
        }
        else
        {
            Exec("CREATE TABLE IF NOT EXISTS tx (txid TEXT PRIMARY KEY, account TEXT NOT NULL, ord INTEGER NOT NULL, body BLOB NOT NULL) WITHOUT ROWID");
            Exec("CREATE INDEX IF NOT EXISTS tx_by_account ON tx (account, ord)");
        }
        _insert = Prepare("INSERT INTO tx (txid, account, ord, body) VALUES ($id, $a, $o, $b)", "$id", "$a", "$o", "$b");
        _newest = Prepare("SELECT txid, body FROM tx WHERE account = $a ORDER BY ord DESC LIMIT $n", "$a", "$n");
    }

    public string Name => _clustered ? "sqlite-clustered" : "sqlite";

    public string Settings => _clustered
        ? $"SQLite: WITHOUT ROWID table with PRIMARY KEY (account, order), unique index on txid; otherwise as 'sqlite'"
        : Describe(_cacheBytes);

    private readonly long _cacheBytes;

    public static string Describe(long cacheBytes) =>
        $"SQLite {SqliteVersion()} (Microsoft.Data.Sqlite 11.0.0): WITHOUT ROWID table keyed by txid, index on (account, order), FTS5 (unicode61, bm25) for documents; journal_mode=WAL, synchronous=NORMAL, cache_size {cacheBytes >> 20} MiB";

    private static string SqliteVersion()
    {
        using var c = new SqliteConnection("Data Source=:memory:");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "select sqlite_version()";
        return (string)cmd.ExecuteScalar()!;
    }

    private void Exec(string sql)
    {
        using var cmd = _c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Prepare(string sql, params string[] names)
    {
        var cmd = _c.CreateCommand();
        cmd.CommandText = sql;
        foreach (string n in names) cmd.Parameters.Add(new SqliteParameter(n, null));
        cmd.Prepare();
        return cmd;
    }

    /// <summary>Stores <paramref name="txs"/>, one SQL transaction (commit) for all of them.</summary>
    public void Insert(IReadOnlyList<LedgerTx> txs)
    {
        using var t = txs.Count > 1 ? _c.BeginTransaction() : null;
        _insert.Transaction = t;
        foreach (var tx in txs)
        {
            _insert.Parameters[0].Value = tx.TxId;
            _insert.Parameters[1].Value = tx.Account;
            _insert.Parameters[2].Value = tx.Order;
            _insert.Parameters[3].Value = tx.Json;
            _insert.ExecuteNonQuery();
        }
        t?.Commit();
    }

    /// <summary>The newest <paramref name="limit"/> transactions of <paramref name="account"/>, values read; returns the count.</summary>
    public int Newest(string account, int limit)
    {
        _newest.Parameters[0].Value = account;
        _newest.Parameters[1].Value = limit;
        using var r = _newest.ExecuteReader();
        int n = 0;
        while (r.Read())
        {
            _ = r.GetString(0);
            _ = (byte[])r.GetValue(1);
            n++;
        }
        return n;
    }

    public void LoadDocuments(List<(string Id, string Text)> docs)
    {
        Exec("CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(id UNINDEXED, body)");
        _addDoc = Prepare("INSERT INTO docs (id, body) VALUES ($id, $b)", "$id", "$b");
        using (var t = _c.BeginTransaction())
        {
            _addDoc.Transaction = t;
            foreach (var (id, text) in docs)
            {
                _addDoc.Parameters[0].Value = id;
                _addDoc.Parameters[1].Value = text;
                _addDoc.ExecuteNonQuery();
            }
            t.Commit();
        }
        Exec("INSERT INTO docs(docs) VALUES('optimize')");
        _search = Prepare("SELECT id, body FROM docs WHERE docs MATCH $q ORDER BY rank LIMIT $n", "$q", "$n");
    }

    /// <summary>Every term must match, <c>term*</c> a prefix; best <paramref name="limit"/> by bm25, bodies read; returns the count.</summary>
    public int Search(string query, int limit)
    {
        _search!.Parameters[0].Value = ToFts(query);
        _search.Parameters[1].Value = limit;
        using var r = _search.ExecuteReader();
        int n = 0;
        while (r.Read())
        {
            _ = r.GetString(0);
            _ = r.GetString(1);
            n++;
        }
        return n;
    }

    /// <summary>Each term quoted (so no word is read as an operator), a trailing * kept outside the quotes.</summary>
    private static string ToFts(string query) =>
        string.Join(' ', query.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.EndsWith('*') ? $"\"{t[..^1]}\"*" : $"\"{t}\""));

    public void Settle() => Exec("PRAGMA wal_checkpoint(TRUNCATE)");

    public long SizeOnDisk() => Bench.Runner.ProcessStats.DirectorySize(Path.GetDirectoryName(_file)!);

    public void Dispose()
    {
        _insert.Dispose();
        _newest.Dispose();
        _addDoc?.Dispose();
        _search?.Dispose();
        _c.Dispose();
    }
}

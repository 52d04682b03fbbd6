using Microsoft.Data.Sqlite;

namespace LatticeKV.Bench.Engines;

/// <summary>
/// SQLite through Microsoft.Data.Sqlite: a <c>WITHOUT ROWID</c> table of blob keys and values,
/// WAL journal, <c>synchronous=NORMAL</c> (a committed transaction survives a process crash);
/// a write asked to sync goes through a second connection with <c>synchronous=FULL</c>.
/// One writer connection (SQLite allows one writer); each reading thread has its own connection
/// with prepared statements.
/// </summary>
public sealed class SqliteEngine : IEngine
{
    private readonly string _connectionString;
    private readonly Writer _writer;
    private readonly Writer _syncWriter;
    private readonly ThreadLocal<Reader> _readers;
    private readonly List<IDisposable> _owned = [];

    public SqliteEngine(string path, EngineSettings engineSettings)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(path, "kv.sqlite"), Pooling = false }.ToString();
        long cacheKib = engineSettings.BlockCacheBytes / 1024;
        using (var setup = Connect("NORMAL", cacheKib))
            Exec(setup, "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
        _writer = new Writer(Connect("NORMAL", cacheKib));
        _syncWriter = new Writer(Connect("FULL", cacheKib));
        _readers = new ThreadLocal<Reader>(() =>
        {
            var r = new Reader(Connect("NORMAL", cacheKib));
            lock (_owned) _owned.Add(r);
            return r;
        });
        Settings = $"SQLite (Microsoft.Data.Sqlite 11.0.0): WITHOUT ROWID table, journal_mode=WAL, synchronous=NORMAL (FULL for synced writes), cache_size {cacheKib >> 10} MiB, one transaction per write";
    }

    public string Name => "sqlite";

    public string Settings { get; }

    private SqliteConnection Connect(string synchronous, long cacheKib)
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        Exec(c, "PRAGMA journal_mode=WAL");
        Exec(c, $"PRAGMA synchronous={synchronous}");
        Exec(c, $"PRAGMA cache_size=-{cacheKib}");
        Exec(c, "PRAGMA busy_timeout=60000");
        return c;
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync)
    {
        var w = sync ? _syncWriter : _writer;
        byte[] k = key.ToArray(), v = value.ToArray();
        lock (_writer) w.Upsert(k, v);
    }

    public void PutBatch(IReadOnlyList<(byte[] Key, byte[] Value)> pairs, bool sync)
    {
        var w = sync ? _syncWriter : _writer;
        lock (_writer)
        {
            using var tx = w.Connection.BeginTransaction();
            w.UpsertCommand.Transaction = tx;
            foreach (var (k, v) in pairs) w.Upsert(k, v);
            tx.Commit();
            w.UpsertCommand.Transaction = null;
        }
    }

    public void Delete(ReadOnlySpan<byte> key, bool sync)
    {
        var w = sync ? _syncWriter : _writer;
        byte[] k = key.ToArray();
        lock (_writer) w.Delete(k);
    }

    public int Get(ReadOnlySpan<byte> key, Span<byte> buffer)
    {
        var r = _readers.Value!;
        r.GetKey.Value = key.ToArray();
        using var reader = r.Get.ExecuteReader();
        if (!reader.Read()) return -1;
        var value = (byte[])reader.GetValue(0);
        value.CopyTo(buffer);
        return value.Length;
    }

    public int Scan(ReadOnlySpan<byte> key, int count)
    {
        var r = _readers.Value!;
        r.ScanKey.Value = key.ToArray();
        r.ScanLimit.Value = count;
        using var reader = r.Scan.ExecuteReader();
        int n = 0;
        while (reader.Read())
        {
            _ = reader.GetValue(1);
            n++;
        }
        return n;
    }

    public void Flush()
    {
        lock (_writer) Exec(_writer.Connection, "PRAGMA wal_checkpoint(TRUNCATE)");
    }

    public void CompactAll()
    {
        lock (_writer) Exec(_writer.Connection, "VACUUM");
    }

    public void WaitForBackgroundWork() { }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_owned) foreach (var r in _owned) r.Dispose();
        _readers.Dispose();
        _writer.Dispose();
        _syncWriter.Dispose();
    }

    private sealed class Writer : IDisposable
    {
        private readonly SqliteParameter _k, _v, _dk;
        private readonly SqliteCommand _delete;

        public Writer(SqliteConnection c)
        {
            Connection = c;
            UpsertCommand = c.CreateCommand();
            UpsertCommand.CommandText = "INSERT INTO kv (k, v) VALUES ($k, $v) ON CONFLICT(k) DO UPDATE SET v = excluded.v";
            _k = UpsertCommand.Parameters.Add("$k", SqliteType.Blob);
            _v = UpsertCommand.Parameters.Add("$v", SqliteType.Blob);
            UpsertCommand.Prepare();
            _delete = c.CreateCommand();
            _delete.CommandText = "DELETE FROM kv WHERE k = $k";
            _dk = _delete.Parameters.Add("$k", SqliteType.Blob);
            _delete.Prepare();
        }

        public SqliteConnection Connection { get; }

        public SqliteCommand UpsertCommand { get; }

        public void Upsert(byte[] k, byte[] v)
        {
            _k.Value = k;
            _v.Value = v;
            UpsertCommand.ExecuteNonQuery();
        }

        public void Delete(byte[] k)
        {
            _dk.Value = k;
            _delete.ExecuteNonQuery();
        }

        public void Dispose()
        {
            UpsertCommand.Dispose();
            _delete.Dispose();
            Connection.Dispose();
        }
    }

    private sealed class Reader : IDisposable
    {
        public Reader(SqliteConnection c)
        {
            Connection = c;
            Get = c.CreateCommand();
            Get.CommandText = "SELECT v FROM kv WHERE k = $k";
            GetKey = Get.Parameters.Add("$k", SqliteType.Blob);
            Get.Prepare();
            Scan = c.CreateCommand();
            Scan.CommandText = "SELECT k, v FROM kv WHERE k >= $k ORDER BY k LIMIT $n";
            ScanKey = Scan.Parameters.Add("$k", SqliteType.Blob);
            ScanLimit = Scan.Parameters.Add("$n", SqliteType.Integer);
            Scan.Prepare();
        }

        public SqliteConnection Connection { get; }
        public SqliteCommand Get { get; }
        public SqliteParameter GetKey { get; }
        public SqliteCommand Scan { get; }
        public SqliteParameter ScanKey { get; }
        public SqliteParameter ScanLimit { get; }

        public void Dispose()
        {
            Get.Dispose();
            Scan.Dispose();
            Connection.Dispose();
        }
    }
}

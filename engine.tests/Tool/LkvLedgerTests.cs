using System.Text.Json;
using LatticeKV.Ledger;
using LatticeKV.Ledger.Merkle;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv ledger append|balance|history|proof|verify|checkpoint</c>, run as a process.</summary>
public sealed class LkvLedgerTests
{
    private static LkvResult Ok(params string[] args)
    {
        var r = Lkv.Run(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    /// <summary>A database whose ledger holds three transactions, two of them from a JSON-lines file.</summary>
    private static string Ledger(TempDir dir)
    {
        string db = dir.Sub("db");
        using (LatticeDb.Open(db, new DbOptions { CreateIfMissing = true })) { }
        Ok("ledger", "append", db, "--chain", "bitcoin", "--txid", "t1", "--height", "100", "--block-hash", "00ab", "--position", "0",
            "--posting", "alice:BTC:-40", "--posting", "bob:BTC:40", "--raw", "0100");
        string file = dir.Sub("txs.jsonl");
        File.WriteAllLines(file,
        [
            """{"chain":"bitcoin","txid":"t2","height":101,"block_hash":"00cd","position":1,"postings":[{"account":"bob","asset":"BTC","amount":"-5"},{"account":"carol","asset":"BTC","amount":5}]}""",
            """{"chain":"bitcoin","txid":"t3","postings":[{"account":"mint","asset":"BTC","amount":"-170141183460469231731687303715884105727"},{"account":"dave","asset":"BTC","amount":"170141183460469231731687303715884105727"}]}""",
        ]);
        var appended = JsonDocument.Parse(Ok("ledger", "append", db, "--file", file, "--json").Stdout).RootElement;
        Assert.Equal(2, appended.GetProperty("appended").GetInt64());
        return db;
    }

    [Fact]
    public void LedgerCommands_AppendBalanceHistoryProofCheckpointVerify()
    {
        using var dir = new TempDir("lkv-ledger");
        string db = Ledger(dir);

        Assert.Equal("35\n", Ok("ledger", "balance", db, "--chain", "bitcoin", "--account", "bob", "--asset", "BTC").Stdout);
        var dave = JsonDocument.Parse(Ok("ledger", "balance", db, "--chain", "bitcoin", "--account", "dave", "--asset", "BTC", "--json").Stdout).RootElement;
        Assert.Equal("170141183460469231731687303715884105727", dave.GetProperty("balance").GetString());

        var history = Ok("ledger", "history", db, "--chain", "bitcoin", "--account", "bob").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["t1", "t2"], history.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("txid").GetString()));
        var newest = Ok("ledger", "history", db, "--chain", "bitcoin", "--newest-first", "--limit", "1").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(newest);

        var proof = JsonDocument.Parse(Ok("ledger", "proof", db, "--leaf", "1").Stdout).RootElement;
        Assert.True(proof.GetProperty("verified").GetBoolean());
        // The printed proof verifies on its own, with nothing but the proof and the root.
        Assert.True(MerkleProof.VerifyInclusion(1, proof.GetProperty("tree_size").GetInt64(), Convert.FromHexString(proof.GetProperty("leaf_hash").GetString()!),
            [.. proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!))], Convert.FromHexString(proof.GetProperty("root_hash").GetString()!)));
        Assert.True(JsonDocument.Parse(Ok("ledger", "proof", db, "--consistency", "1").Stdout).RootElement.GetProperty("verified").GetBoolean());

        var checkpoint = JsonDocument.Parse(Ok("ledger", "checkpoint", db, "--json").Stdout).RootElement;
        var parsed = LedgerCheckpoint.Parse(checkpoint.GetProperty("note").GetString()!);
        Assert.True(parsed.Verify(Convert.FromBase64String(checkpoint.GetProperty("public_key").GetString()!)));
        Assert.Equal(3, parsed.TreeSize);

        var verify = JsonDocument.Parse(Ok("ledger", "verify", db, "--json").Stdout).RootElement;
        Assert.True(verify.GetProperty("consistent").GetBoolean());
        Assert.Equal(3, verify.GetProperty("leaves_checked").GetInt64());
    }

    [Fact]
    public void LedgerCommands_BadInput_AreUsageErrors()
    {
        using var dir = new TempDir("lkv-ledger-usage");
        string db = Ledger(dir);
        Assert.Equal(2, Lkv.Run("ledger", "append", db, "--chain", "bitcoin", "--txid", "x", "--posting", "alice-BTC-5").ExitCode);
        Assert.Equal(2, Lkv.Run("ledger", "append", db, "--chain", "bitcoin", "--txid", "x", "--posting", "alice:BTC:five").ExitCode);
        Assert.Equal(2, Lkv.Run("ledger", "proof", db, "--leaf", "99").ExitCode);
        Assert.Equal(2, Lkv.Run("ledger", "history", db, "--chain", "bitcoin", "--limit", "-1").ExitCode);
        string bad = dir.Sub("bad.jsonl");
        File.WriteAllText(bad, "{\"chain\":\"bitcoin\"}\n");
        Assert.Equal(2, Lkv.Run("ledger", "append", db, "--file", bad).ExitCode);
        // The same id with other content is a conflict, and nothing changed.
        Assert.Equal(19, Lkv.Run("ledger", "append", db, "--chain", "bitcoin", "--txid", "t1", "--height", "100", "--block-hash", "00ab",
            "--posting", "alice:BTC:-41", "--posting", "bob:BTC:41", "--raw", "0100").ExitCode);
        Assert.Equal("35\n", Ok("ledger", "balance", db, "--chain", "bitcoin", "--account", "bob", "--asset", "BTC").Stdout);
    }

    public enum Tampered { TransactionRecord, MerkleLeaf, MerkleTile, Checkpoint, Balance }

    [Theory]
    [InlineData(Tampered.TransactionRecord)]
    [InlineData(Tampered.MerkleLeaf)]
    [InlineData(Tampered.MerkleTile)]
    [InlineData(Tampered.Checkpoint)]
    [InlineData(Tampered.Balance)]
    public void LedgerVerify_AnyStoredPartTamperedWith_ExitsEighteen(Tampered what)
    {
        using var dir = new TempDir("lkv-ledger-tamper");
        string db = dir.Sub("db");
        using (var database = LatticeDb.Open(db, new DbOptions { CreateIfMissing = true }))
        using (var ledger = LatticeKV.Ledger.Ledger.Open(database))
        {
            // 300 transactions: the log's first tile (256 leaves) is full and stored.
            for (int i = 0; i < 300; i++)
                ledger.Append(new LedgerTransaction { Chain = "bitcoin", TransactionId = $"t{i:D3}", Postings = [new("alice", "BTC", -1), new("bob", "BTC", 1)] });
            ledger.GetCheckpoint();
        }
        Assert.Equal(0, Lkv.Run("ledger", "verify", db).ExitCode);

        string before = "", after = "";
        using (var database = LatticeDb.Open(db))
        using (LatticeKV.Ledger.Ledger.Open(database)) // the balance family reads with the ledger's merge operator
        {
            var family = database.GetColumnFamily(what switch
            {
                Tampered.TransactionRecord => "ledger.tx",
                Tampered.Balance => "ledger.balances",
                _ => "ledger.merkle",
            });
            byte prefix = what switch { Tampered.MerkleLeaf => MerkleKeys.Leaf, Tampered.MerkleTile => MerkleKeys.Tile, Tampered.Checkpoint => MerkleKeys.Checkpoint, _ => 0 };
            byte[]? key = null, value = null;
            using (var it = database.NewIterator(family))
            {
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    if (prefix != 0 && it.Key[0] != prefix) continue;
                    key = it.Key.ToArray();
                    value = it.Value.ToArray();
                    break;
                }
            }
            Assert.NotNull(key);
            // One changed byte, away from any framing the readers check first.
            before = Convert.ToHexString(value!);
            value![value.Length / 2] ^= 0x01;
            after = Convert.ToHexString(value);
            database.Put(family, key, value);
        }
        var r = Lkv.Run("ledger", "verify", db, "--json");
        Assert.True(r.ExitCode == 18, $"{r}\nchanged {before}\n     to {after}");
        Assert.False(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("consistent").GetBoolean());
    }
}

using System.Security.Cryptography;
using LatticeKV.Ledger;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

/// <summary><c>Ledger.GetCheckpoint</c>, <c>Ledger.PublicKey</c> and <c>Ledger.Verify</c> over the stored checkpoints.</summary>
public sealed class LedgerCheckpointIssueTests
{
    [Fact]
    public void GetCheckpoint_SignsTheLogAsItStands_AndTheKeySurvivesReopen()
    {
        using var dir = new TempDir("ledger-checkpoint");
        byte[] key;
        LedgerCheckpoint first;
        using (var db = LatticeDb.Open(dir.Path))
        using (var ledger = Open(db))
        {
            ledger.Append(Payment("t1", "alice", "bob", 3));
            first = ledger.GetCheckpoint();
            key = ledger.PublicKey;
            Assert.Equal(ledger.TreeSize, first.TreeSize);
            Assert.Equal(ledger.RootHash, first.RootHash);
            Assert.True(first.Verify(key));
            Assert.Equal(first.ToString(), ledger.GetCheckpoint().ToString()); // nothing appended: the same checkpoint
        }
        using (var db = LatticeDb.Open(dir.Path))
        using (var ledger = Open(db))
        {
            Assert.Equal(key, ledger.PublicKey);
            ledger.Append(Payment("t2", "alice", "bob", 3));
            var second = ledger.GetCheckpoint();
            Assert.True(second.Verify(key));
            var proof = ledger.GetConsistencyProof(first.TreeSize, second.TreeSize);
            Assert.True(MerkleProof.VerifyConsistency(first.TreeSize, second.TreeSize, first.RootHash, second.RootHash, proof.Hashes));
            Assert.True(ledger.Verify().IsConsistent);
        }
    }

    [Fact]
    public void GetCheckpoint_WithAGivenKey_SignsWithIt()
    {
        using var dir = new TempDir("ledger-checkpoint-key");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var db = LatticeDb.Open(dir.Path);
        using var ledger = Open(db, new LedgerOptions { SigningKey = key, Origin = "example.com/ledger" });
        ledger.Append(Payment("t1", "alice", "bob", 3));
        var checkpoint = ledger.GetCheckpoint();
        Assert.Equal("example.com/ledger", checkpoint.Origin);
        Assert.True(checkpoint.Verify(key));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), ledger.PublicKey);
    }

    [Fact]
    public void Open_BadSigningKeyOrOrigin_IsRefused()
    {
        using var dir = new TempDir("ledger-checkpoint-bad");
        using var db = LatticeDb.Open(dir.Path);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<LedgerArgumentException>(() => Open(db, new LedgerOptions { SigningKey = p384 }));
        Assert.Throws<LedgerArgumentException>(() => Open(db, new LedgerOptions { Origin = "two\nlines" }));
        Assert.Throws<LedgerArgumentException>(() => Open(db, new LedgerOptions { Origin = "" }));
    }

    [Fact]
    public void Verify_StoredCheckpointTamperedWith_IsReported()
    {
        using var dir = new TempDir("ledger-checkpoint-tamper");
        using var db = LatticeDb.Open(dir.Path);
        using var ledger = Open(db);
        ledger.Append(Payment("t1", "alice", "bob", 3));
        var checkpoint = ledger.GetCheckpoint();
        Assert.True(ledger.Verify().IsConsistent);

        var merkle = db.GetColumnFamily("ledger.merkle");
        using (var it = db.NewIterator(merkle))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                if (System.Text.Encoding.UTF8.GetString(it.Value) != checkpoint.ToString()) continue;
                // Claim a bigger balance-carrying history: another root for the same size, still parseable.
                var forged = checkpoint.ToString().Replace(Convert.ToBase64String(checkpoint.RootHash), Convert.ToBase64String(new byte[32]), StringComparison.Ordinal);
                db.Put(merkle, it.Key.ToArray(), System.Text.Encoding.UTF8.GetBytes(forged));
                break;
            }
        }
        var report = ledger.Verify();
        Assert.False(report.IsConsistent);
        Assert.Contains(report.Problems, p => p.Description.StartsWith("checkpoints:", StringComparison.Ordinal));
    }
}

using System.Text;
using LatticeKV.Ledger;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Ledgers;

/// <summary>An encrypted ledger (<c>LedgerOptions.Encrypted</c>): no account, transaction id or raw transaction in plaintext on disk, and everything still verifies after reopening with the key.</summary>
public sealed class LedgerEncryptionTests
{
    [Fact]
    public void EncryptedLedger_LeavesNoPlaintextOnDisk_AndVerifiesAfterReopen()
    {
        using var dir = new TempDir("ledger-encrypted");
        var key = EncryptionSupport.NewKey();
        var sentinels = new List<byte[]>();
        string Secret()
        {
            // Printable, so it can be an account or an id; scanned for as its UTF-8 bytes.
            string text = Convert.ToHexString(EncryptionSupport.Sentinel());
            sentinels.Add(Encoding.UTF8.GetBytes(text));
            return text;
        }

        string lastId = "";
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
        using (var ledger = LatticeKV.Ledger.Ledger.Open(db, new LedgerOptions { Encrypted = true }))
        {
            for (int i = 0; i < 50; i++)
            {
                var raw = EncryptionSupport.Sentinel();
                sentinels.Add(raw);
                lastId = Secret();
                ledger.Append(new LedgerTransaction
                {
                    Chain = "bitcoin", TransactionId = lastId, RawTransaction = raw,
                    Postings = [new LedgerPosting(Secret(), "BTC", -7), new LedgerPosting(Secret(), "BTC", 7)],
                });
            }
            ledger.GetCheckpoint();
            foreach (var family in db.ColumnFamilies) db.Flush(family);
        }
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, sentinels));

        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
        using (var ledger = LatticeKV.Ledger.Ledger.Open(db))
        {
            Assert.NotNull(ledger.GetTransaction("bitcoin", lastId));
            var report = ledger.Verify();
            Assert.True(report.IsConsistent, string.Join("; ", report.Problems.Select(p => p.Description)));
            Assert.Equal(ledger.TreeSize, ledger.GetCheckpoint().TreeSize);
        }
    }
}

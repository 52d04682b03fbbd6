using CsCheck;
using LatticeKV.Ledger;
using LatticeKV.Sync;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

/// <summary>
/// The ledger's sync attestation reads a hostile peer's bytes: a malformed "seen" is a protocol
/// error, a tampered claim is refused with <see cref="LedgerForkException"/> (or, when the change
/// touches nothing the claim proves, accepted), never another exception.
/// </summary>
public sealed class LedgerSyncAttestorFuzzTests
{
    [Fact]
    public void Claim_MalformedSeen_IsAProtocolError()
    {
        using var dir = new TempDir("ledger-attest-seen");
        using var db = LatticeDb.Open(dir.Path);
        using var ledger = Open(db);
        var attestor = Assert.Single(SyncAttestors.Of(db));
        Gen.Byte.Array[0, 24].Sample(seen =>
        {
            bool wellFormed = seen.Length == 10 && seen[0] == 1 && seen[1] <= 1;
            if (wellFormed) attestor.Claim(Guid.NewGuid(), seen);
            else Assert.Throws<SyncProtocolException>(() => attestor.Claim(Guid.NewGuid(), seen));
        }, iter: 2000 * TestSeed.Scale, threads: 1);
    }

    [Fact]
    public void Judge_TamperedClaim_IsRefusedOrHarmless_NeverAnotherException()
    {
        using var dir = new TempDir("ledger-attest-claim");
        using var claimantDb = LatticeDb.Open(dir.Sub("claimant"));
        using var judgeDb = LatticeDb.Open(dir.Sub("judge"));
        using var claimant = Open(claimantDb);
        using var judge = Open(judgeDb);
        for (int i = 0; i < 5; i++) claimant.Append(Payment($"t{i}", "alice", "bob", 1));
        var claimantSide = Assert.Single(SyncAttestors.Of(claimantDb));
        var judgeSide = Assert.Single(SyncAttestors.Of(judgeDb));
        byte[] valid = claimantSide.Claim(Guid.NewGuid(), judgeSide.Seen(Guid.NewGuid()));
        judgeSide.Judge(Guid.NewGuid(), valid); // the untouched claim is accepted

        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, Gen.Int[1, valid.Length - 1]).Sample((at, value, cut) =>
        {
            var mutated = (byte[])valid.Clone();
            mutated[at] ^= (byte)(value | 1);
            foreach (var claim in new[] { mutated, valid[..cut] })
            {
                try { judgeSide.Judge(Guid.NewGuid(), claim); }
                catch (LedgerForkException) { }
            }
        }, iter: 300 * TestSeed.Scale, threads: 1);

        // A peer already accepted cannot come back with a tampered root for the same size.
        var peer = Guid.NewGuid();
        judgeSide.Judge(peer, valid);
        var forged = (byte[])valid.Clone();
        int root = Array.IndexOf(valid, (byte)'\n') + 3; // past the origin line and the size line "5\n": inside the root hash
        forged[root + 2] ^= 0x01;
        Assert.Throws<LedgerForkException>(() => judgeSide.Judge(peer, forged));
    }
}

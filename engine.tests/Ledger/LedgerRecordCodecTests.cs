using LatticeKV.Ledger;
using LatticeKV.Tests.Fuzz;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

public class LedgerRecordCodecTests
{
    [Fact]
    public void Encode_ConfirmedRecord_RoundTrips()
    {
        var tx = LedgerRecordCodec.Canonical(InBlock(Payment("t1", "alice", "bob", 42), 813_000, 7, depth: 3));
        var decoded = LedgerRecordCodec.Decode(LedgerRecordCodec.Encode(tx));
        Assert.Equal(LedgerRecordCodec.Encode(tx), LedgerRecordCodec.Encode(decoded));
        Assert.Equal(LedgerStatus.Confirmed(3), decoded.Status);
        Assert.Equal(813_000, decoded.BlockHeight);
        Assert.Equal(tx.Postings, decoded.Postings);
    }

    [Fact]
    public void Canonical_PostingsInAnyOrder_GiveTheSameBytes()
    {
        var tx = Payment("t1", "alice", "bob", 42);
        var reversed = tx with { Postings = [.. tx.Postings.Reverse()] };
        Assert.Equal(LedgerRecordCodec.Encode(LedgerRecordCodec.Canonical(tx)), LedgerRecordCodec.Encode(LedgerRecordCodec.Canonical(reversed)));
    }

    [Fact]
    public void Decode_WorkedExampleOfFormatMd_MatchesItsBytes()
    {
        // FORMAT.md §22.1's worked example: keep the two in step.
        var tx = LedgerRecordCodec.Canonical(new LedgerTransaction
        {
            Chain = "btc",
            TransactionId = "t1",
            BlockHeight = 100,
            BlockHash = "h",
            Position = 2,
            RawTransaction = [0xAB],
            Postings = [new LedgerPosting("a", "B", -5), new LedgerPosting("b", "B", 5)],
            Status = LedgerStatus.Confirmed(1),
        });
        string hex = Convert.ToHexString(LedgerRecordCodec.Encode(tx));
        Assert.Equal(
            "0101" + "01000000" + "6400000000000000" + "02000000" + "0300" + "627463" + "0200" + "7431" + "0100" + "68" + "02000000" +
            "0100" + "61" + "0100" + "42" + "FBFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" +
            "0100" + "62" + "0100" + "42" + "05000000000000000000000000000000" +
            "01000000" + "AB", hex);
    }

    [Fact]
    public void Decode_MutatedRecords_ThrowCorruptionOrDecode()
    {
        var seed = LedgerRecordCodec.Encode(LedgerRecordCodec.Canonical(InBlock(Payment("t1", "alice", "bob", 42), 10, 1)));
        Mutations.Sample(seed, input =>
        {
            try { LedgerRecordCodec.Decode(input); }
            catch (CorruptionException) { }
        }, 5_000);
        Assert.Throws<CorruptionException>(() => LedgerRecordCodec.Decode(seed.AsSpan(0, seed.Length - 1)));
    }

    [Fact]
    public void Decode_MutatedMarkers_ThrowCorruptionOrDecode()
    {
        var tx = LedgerRecordCodec.Canonical(Payment("t1", "alice", "bob", 42));
        var seed = new FoldMarker(3, 9, new byte[32], tx).Encode();
        Assert.Equal(9, FoldMarker.Decode(seed).LeafIndex);
        Mutations.Sample(seed, input =>
        {
            try { FoldMarker.Decode(input); }
            catch (CorruptionException) { }
        }, 3_000);
    }

    [Fact]
    public void EncodeMarker_FromRecordBytes_EqualsTheMarkerEncodedFromTheRecord()
    {
        var tx = LedgerRecordCodec.Canonical(InBlock(Payment("t1", "alice", "bob", 42), 813_000, 7, depth: 3) with { RawTransaction = [1, 2, 3, 4, 5] });
        var bytes = LedgerRecordCodec.Encode(tx);
        var digest = LedgerRecordCodec.Digest(bytes);
        var fromBytes = FoldMarker.Encode(11, 12, digest, bytes, tx.RawTransaction.Length);
        Assert.Equal(new FoldMarker(11, 12, digest, tx).Encode(), fromBytes);
        var decoded = FoldMarker.Decode(fromBytes);
        Assert.Empty(decoded.Folded.RawTransaction);
        Assert.Equal(tx.Postings, decoded.Folded.Postings);
    }

    [Fact]
    public void Canonical_PostingsOfOneAccountAndAssetOverflow_Refused()
    {
        var tx = Payment("t1", "alice", "bob", 42) with
        {
            Postings = [new LedgerPosting("alice", "BTC", Int128.MaxValue), new LedgerPosting("bob", "BTC", 1), new LedgerPosting("alice", "BTC", 1)],
        };
        Assert.Throws<LedgerArgumentException>(() => LedgerRecordCodec.Canonical(tx));
        var fine = tx with { Postings = [new LedgerPosting("alice", "BTC", Int128.MaxValue), new LedgerPosting("alice", "ETH", 1)] };
        Assert.Equal(2, LedgerRecordCodec.Canonical(fine).Postings.Count);
    }
}

using System.Security.Cryptography;
using LatticeKV.Ledger;
using LatticeKV.Ledger.Merkle;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Ledger;

/// <summary>The signer's stored key, the store of issued checkpoints and the book of peers' checkpoints.</summary>
public class CheckpointBookTests
{
    private const string Family = "ledger-merkle";
    private static readonly DateTimeOffset Time = DateTimeOffset.FromUnixTimeMilliseconds(1_765_000_000_000);

    [Fact]
    public void LoadOrCreate_Reopen_SameKey()
    {
        using var dir = new TempDir();
        byte[] publicKey;
        using (var db = LatticeDb.Open(dir.Path))
        using (var signer = CheckpointSigner.LoadOrCreate(db, db.CreateColumnFamily(Family), "o", "k"))
            publicKey = signer.PublicKey;
        using (var db = LatticeDb.Open(dir.Path))
        using (var signer = CheckpointSigner.LoadOrCreate(db, db.GetColumnFamily(Family), "o", "k"))
        {
            Assert.Equal(publicKey, signer.PublicKey);
            Assert.True(signer.Sign(3, RfcVectors.Roots[2], Time).Verify(publicKey));
        }
    }

    [Fact]
    public void LoadOrCreate_DamagedKey_ThrowsCorruptionWithoutKeyBytes()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var family = db.CreateColumnFamily(Family);
        CheckpointSigner.LoadOrCreate(db, family, "o", "k").Dispose();
        var stored = db.Get(family, MerkleKeys.SigningKeyKey())!;
        stored[^3] ^= 0x55;
        db.Put(family, MerkleKeys.SigningKeyKey(), stored.AsSpan(..^1));
        var ex = Assert.Throws<CorruptionException>(() => CheckpointSigner.LoadOrCreate(db, family, "o", "k"));
        Assert.DoesNotContain(Convert.ToHexString(stored[^8..]), ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(stored[^8..]), ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_StoredCheckpoints_IntactThenTamperedDetected()
    {
        using var dir = new TempDir();
        var data = MerkleLogTests.LeafData(300);
        using (var db = LatticeDb.Open(dir.Path))
        {
            var family = db.CreateColumnFamily(Family);
            var log = MerkleLog.Open(db, family);
            using var signer = CheckpointSigner.LoadOrCreate(db, family, "o", "k");
            var store = new CheckpointStore(db, family);
            MerkleLogTests.Append(db, log, data[..100]);
            store.Store(signer.Sign(log.Size, log.RootHash(log.Size), Time));
            MerkleLogTests.Append(db, log, data[100..]);
            store.Store(signer.Sign(log.Size, log.RootHash(log.Size), Time.AddSeconds(1)));
            Assert.Empty(store.Verify(log, signer.PublicKey));
            Assert.Equal(300, store.Latest()!.TreeSize);

            // A stored checkpoint rewritten with another key is caught by its signature.
            using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var forged = LedgerCheckpoint.Sign("o", 100, RfcVectors.Roots[0], Time, "k", forger);
            db.Put(family, MerkleKeys.CheckpointKey(100, Time.ToUnixTimeMilliseconds()), System.Text.Encoding.UTF8.GetBytes(forged.ToString()));
            var problems = store.Verify(log, signer.PublicKey);
            Assert.Contains(problems, p => p.Contains("not signed by the ledger's key", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.Contains("the tree was rewritten", StringComparison.Ordinal));
            store.Store(signer.Sign(100, log.RootHash(100), Time));
            Assert.Empty(store.Verify(log, signer.PublicKey));
            // A right-edge leaf changed while the database is closed: the reopened log folds it in, the checkpoint does not.
            db.Put(family, MerkleKeys.LeafKey(290), [7, 7]);
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            var family = db.GetColumnFamily(Family);
            var log = MerkleLog.Open(db, family);
            using var signer = CheckpointSigner.LoadOrCreate(db, family, "o", "k");
            Assert.True(log.Audit().IsIntact);
            var problems = new CheckpointStore(db, family).Verify(log, signer.PublicKey);
            Assert.Single(problems);
            Assert.Contains("(size 300) has a root the log does not recompute", problems[0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Accept_ConsistentExtensions_RememberedAcrossReopen()
    {
        using var dir = new TempDir();
        using var peerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = peerKey.ExportSubjectPublicKeyInfo();
        var (peer, roots, hashes) = PeerTree(20);
        using (var db = LatticeDb.Open(dir.Path))
        {
            var book = new PeerCheckpoints(db, db.CreateColumnFamily(Family));
            Assert.Null(book.Latest("peer-a"));
            book.Accept("peer-a", Checkpoint(peerKey, 5, roots), null, spki);
            book.Accept("peer-a", Checkpoint(peerKey, 12, roots), Proof(hashes, 5, 12));
            book.Accept("peer-a", Checkpoint(peerKey, 12, roots), null);
            Assert.Equal(12, book.Latest("peer-a")!.TreeSize);
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            var book = new PeerCheckpoints(db, db.GetColumnFamily(Family));
            Assert.Equal(12, book.Latest("peer-a")!.TreeSize);
            Assert.Equal(spki, book.PublicKey("peer-a"));
            book.Accept("peer-a", Checkpoint(peerKey, 20, roots), Proof(hashes, 12, 20));
            Assert.Equal(20, book.Latest("peer-a")!.TreeSize);
        }
        Assert.NotNull(peer);
    }

    [Fact]
    public void Accept_ForkRollbackOrBadSignature_ThrowsForkAndKeepsState()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var book = new PeerCheckpoints(db, db.CreateColumnFamily(Family));
        using var peerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (_, roots, hashes) = PeerTree(16);
        book.Accept("peer-b", Checkpoint(peerKey, 8, roots), null, peerKey.ExportSubjectPublicKeyInfo());

        // A forked history: leaf 3 rewritten, sizes 8 → 16, proof from the forked tree.
        var forked = hashes.ToList();
        forked[3] = MerkleReference.Leaf([0xEE]);
        var forkedRoots = Enumerable.Range(0, 17).Select(n => MerkleReference.Mth(forked, 0, n)).ToArray();
        var ex = Assert.Throws<LedgerForkException>(() => book.Accept("peer-b", Checkpoint(peerKey, 16, forkedRoots), Proof(forked, 8, 16)));
        Assert.Equal("peer-b", ex.PeerId);
        Assert.Equal(8, ex.AcceptedSize);
        Assert.Equal(16, ex.OfferedSize);
        Assert.Contains("peer-b", ex.Message, StringComparison.Ordinal);

        Assert.Throws<LedgerForkException>(() => book.Accept("peer-b", Checkpoint(peerKey, 8, forkedRoots), null));
        Assert.Throws<LedgerForkException>(() => book.Accept("peer-b", Checkpoint(peerKey, 6, roots), null));
        Assert.Throws<LedgerForkException>(() => book.Accept("peer-b", Checkpoint(otherKey, 16, roots), Proof(hashes, 8, 16)));
        Assert.Throws<LedgerForkException>(() => book.Accept("peer-b", Checkpoint(peerKey, 16, roots), Proof(hashes, 7, 16)));
        Assert.Throws<LedgerForkException>(() => book.Accept("peer-b", Checkpoint(peerKey, 16, roots), null));
        Assert.Throws<LedgerForkException>(() => book.Accept("peer-b", Checkpoint(peerKey, 16, roots), Proof(hashes, 8, 16), otherKey.ExportSubjectPublicKeyInfo()));
        Assert.Equal(8, book.Latest("peer-b")!.TreeSize);
        Assert.Equal(roots[8], book.Latest("peer-b")!.RootHash);

        // The honest extension is still accepted.
        book.Accept("peer-b", Checkpoint(peerKey, 16, roots), Proof(hashes, 8, 16));
        Assert.Equal(16, book.Latest("peer-b")!.TreeSize);
    }

    [Fact]
    public void Accept_UnknownPeerWithoutKey_ThrowsInvalidArgument()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var book = new PeerCheckpoints(db, db.CreateColumnFamily(Family));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (_, roots, _) = PeerTree(4);
        Assert.Throws<InvalidArgumentException>(() => book.Accept("nobody", Checkpoint(key, 4, roots), null));
        // A refused first checkpoint pins nothing.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<LedgerForkException>(() => book.Accept("nobody", Checkpoint(key, 4, roots), null, other.ExportSubjectPublicKeyInfo()));
        Assert.Null(book.PublicKey("nobody"));
    }

    [Fact]
    public void TryDecode_MutatedEntries_NeverThrow()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (_, roots, _) = PeerTree(4);
        var entry = PeerCheckpoints.Encode(key.ExportSubjectPublicKeyInfo(), Checkpoint(key, 4, roots));
        Assert.True(PeerCheckpoints.TryDecode(entry, out _, out var decoded));
        Assert.Equal(4, decoded!.TreeSize);
        Fuzz.Mutations.Sample(entry, input => _ = PeerCheckpoints.TryDecode(input, out _, out _), iterations: 2000);
    }

    private static (string Name, byte[][] Roots, List<byte[]> Hashes) PeerTree(int size)
    {
        var hashes = MerkleLogTests.LeafData(size, salt: 77).Select(MerkleReference.Leaf).ToList();
        return ("peer", Enumerable.Range(0, size + 1).Select(n => MerkleReference.Mth(hashes, 0, n)).ToArray(), hashes);
    }

    private static LedgerCheckpoint Checkpoint(ECDsa key, int size, byte[][] roots)
        => LedgerCheckpoint.Sign("peer.example/ledger", size, roots[size], Time, "peer.example/ledger", key);

    private static ConsistencyProof Proof(List<byte[]> hashes, int m, int n)
        => new(m, n, MerkleReference.Proof(hashes, m, n));
}

using System.Buffers.Binary;
using LatticeKV.Io;
using LatticeKV.Ledger.Merkle;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Ledger;

/// <summary>The Merkle log over a real column family: roots, proofs, reopen, stage and abort, audit, crashes.</summary>
public class MerkleLogTests(ITestOutputHelper output)
{
    private const string Family = "ledger-merkle";

    [Fact]
    public void Stage_KnownTree_RootsAndProofsMatchVectors()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var log = MerkleLog.Open(db, db.CreateColumnFamily(Family));
        Assert.Equal(RfcVectors.EmptyRoot, log.RootHash(0));
        Append(db, log, RfcVectors.Leaves);
        Assert.Equal(8, log.Size);
        for (int n = 1; n <= 8; n++) Assert.Equal(RfcVectors.Roots[n - 1], log.RootHash(n));
        foreach (var (index, size, proof) in RfcVectors.Inclusion)
            Assert.Equal(proof, log.GetInclusionProof(index, size).Hashes);
        foreach (var (oldSize, newSize, proof) in RfcVectors.Consistency)
            Assert.Equal(proof, log.GetConsistencyProof(oldSize, newSize).Hashes);
        Assert.Equal(RfcVectors.Leaves[6], log.LeafData(6));
        Assert.Equal(MerkleReference.Leaf(RfcVectors.Leaves[3]), log.LeafHash(3));
    }

    [Fact]
    public void Open_AfterManyTiles_RebuildsSameRootsAndProofs()
    {
        using var dir = new TempDir();
        // Two full level-1 tiles' worth and a ragged edge on every level: 2·65536 + 3·256 + 17.
        const int count = 2 * 65536 + 3 * 256 + 17;
        var data = LeafData(count);
        var hashes = data.Select(MerkleReference.Leaf).ToList();
        byte[] root;
        using (var db = LatticeDb.Open(dir.Path))
        {
            var log = MerkleLog.Open(db, db.CreateColumnFamily(Family));
            Append(db, log, data, perBatch: 997);
            root = log.RootHash(count);
            Assert.Equal(MerkleReference.Mth(hashes, 0, count), root);
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            var log = MerkleLog.Open(db, db.GetColumnFamily(Family));
            Assert.Equal(count, log.Size);
            Assert.Equal(root, log.RootHash(count));
            foreach (int n in new[] { 1, 255, 256, 257, 65535, 65536, 65537, 100_000, count - 1 })
                Assert.Equal(MerkleReference.Mth(hashes, 0, n), log.RootHash(n));
            foreach (var (leaf, size) in new[] { (0, count), (count - 1, count), (70_000, count), (65535, 65536), (300, 100_000) })
            {
                var proof = log.GetInclusionProof(leaf, size);
                Assert.Equal(MerkleReference.Path(hashes, leaf, 0, size), proof.Hashes);
                Assert.True(proof.Verify(hashes[leaf], log.RootHash(size)));
            }
            foreach (var (m, n) in new[] { (1, count), (256, 65537), (65536, count), (70_001, count - 5) })
            {
                var proof = log.GetConsistencyProof(m, n);
                Assert.Equal(MerkleReference.Proof(hashes, m, n), proof.Hashes);
                Assert.True(proof.Verify(log.RootHash(m), log.RootHash(n)));
            }
            var audit = log.Audit();
            Assert.True(audit.IsIntact, string.Join('\n', audit.Problems));
            Assert.Equal(count, audit.LeavesChecked);
            // Full tiles: level 0 has count >> 8 of them, level 1 has 2.
            Assert.Equal((count >> 8) + 2, audit.TilesChecked);
        }
    }

    [Fact]
    public void Abort_StagedAcrossTileBoundary_ForgetsThemAndRestagesCleanly()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var log = MerkleLog.Open(db, db.CreateColumnFamily(Family));
        var first = LeafData(200);
        Append(db, log, first);
        var committedRoot = log.RootHash(200);

        var batch = new WriteBatch();
        for (int i = 0; i < 400; i++) Assert.Equal(200 + i, log.Stage(batch, [9, (byte)i]));
        // Readers see the committed tree while the stage is under way.
        Assert.Equal(200, log.Size);
        Assert.Equal(committedRoot, log.RootHash(200));
        log.Abort();
        Assert.Equal(200, log.Size);
        Assert.Equal(committedRoot, log.RootHash(200));

        var second = LeafData(400, salt: 5);
        Append(db, log, second, perBatch: 150);
        var all = first.Concat(second).Select(MerkleReference.Leaf).ToList();
        Assert.Equal(MerkleReference.Mth(all, 0, 600), log.RootHash(600));
        Assert.True(log.Audit().IsIntact);
    }

    [Fact]
    public void Stage_BatchNeverWrittenThenReopen_LeavesNothing()
    {
        using var dir = new TempDir();
        byte[] root;
        using (var db = LatticeDb.Open(dir.Path))
        {
            var log = MerkleLog.Open(db, db.CreateColumnFamily(Family));
            Append(db, log, LeafData(300));
            root = log.RootHash(300);
            var lost = new WriteBatch();
            for (int i = 0; i < 300; i++) log.Stage(lost, [1, (byte)i]);
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            var log = MerkleLog.Open(db, db.GetColumnFamily(Family));
            Assert.Equal(300, log.Size);
            Assert.Equal(root, log.RootHash(300));
        }
    }

    [Fact]
    public void Stage_BatchWrittenButNotCommittedThenReopen_IncludesIt()
    {
        using var dir = new TempDir();
        var data = LeafData(520);
        using (var db = LatticeDb.Open(dir.Path))
        {
            var log = MerkleLog.Open(db, db.CreateColumnFamily(Family));
            var batch = new WriteBatch();
            foreach (var d in data) log.Stage(batch, d);
            db.Write(batch);
            Assert.Equal(0, log.Size);
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            var log = MerkleLog.Open(db, db.GetColumnFamily(Family));
            Assert.Equal(520, log.Size);
            Assert.Equal(MerkleReference.Mth(data.Select(MerkleReference.Leaf).ToList(), 0, 520), log.RootHash(520));
            Assert.True(log.Audit().IsIntact);
        }
    }

    [Fact]
    public void Open_AfterPowerLossMidAppends_TreeIsAPrefixAndEveryProofVerifies()
    {
        int seed = TestSeed.Get(2326);
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var fs = new MemFileSystem();
        var data = LeafData(1500, salt: seed);
        var hashes = data.Select(MerkleReference.Leaf).ToList();
        MemFileSystem crashed;
        using (var db = LatticeDb.Open(DbPath, MemOptions(fs)))
        {
            var log = MerkleLog.Open(db, db.CreateColumnFamily(Family));
            int next = 0;
            while (next < data.Length)
            {
                int take = Math.Min(data.Length - next, 1 + random.Next(120));
                var batch = new WriteBatch();
                for (int i = 0; i < take; i++) log.Stage(batch, data[next + i]);
                // Some writes are synced, most are not: the crash keeps a prefix of them.
                db.Write(batch, new WriteOptions { Sync = random.Next(4) == 0 });
                log.Commit();
                next += take;
            }
            crashed = fs.CrashClone(powerLoss: true);
        }
        using (var db = LatticeDb.Open(DbPath, MemOptions(crashed)))
        {
            var log = MerkleLog.Open(db, db.GetColumnFamily(Family));
            long size = log.Size;
            output.WriteLine($"{size} of {data.Length} leaves survived");
            Assert.Equal(MerkleReference.Mth(hashes, 0, (int)size), log.RootHash(size));
            var audit = log.Audit();
            Assert.True(audit.IsIntact, string.Join('\n', audit.Problems));
            for (int k = 0; k < 50 && size > 0; k++)
            {
                long n = 1 + random.NextInt64(size);
                long leaf = random.NextInt64(n);
                Assert.True(log.GetInclusionProof(leaf, n).Verify(hashes[(int)leaf], log.RootHash(n)));
                long m = 1 + random.NextInt64(n);
                Assert.True(log.GetConsistencyProof(m, n).Verify(log.RootHash(m), log.RootHash(n)));
            }
        }
    }

    [Fact]
    public void Audit_LeafInFullTileChanged_ReportsTheTile()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var family = db.CreateColumnFamily(Family);
        var log = MerkleLog.Open(db, family);
        Append(db, log, LeafData(700));
        db.Put(family, MerkleKeys.LeafKey(300), [0xBA, 0xD0]);
        var audit = log.Audit();
        Assert.False(audit.IsIntact);
        Assert.Contains(audit.Problems, p => p.Contains("tile (level 0, index 1) differs", StringComparison.Ordinal));
    }

    [Fact]
    public void Audit_TileChangedMissingOrExtra_ReportsEach()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var family = db.CreateColumnFamily(Family);
        var log = MerkleLog.Open(db, family);
        Append(db, log, LeafData(800));
        var tile = db.Get(family, MerkleKeys.TileKey(0, 2))!;
        tile[MerkleTile.RowStart(3) * 32 + 5] ^= 1;
        db.Put(family, MerkleKeys.TileKey(0, 2), tile);
        db.Delete(family, MerkleKeys.TileKey(0, 0));
        db.Put(family, MerkleKeys.TileKey(0, 9), new byte[MerkleTile.StoredSize]);
        var problems = log.Audit().Problems;
        Assert.Contains("tile (level 0, index 2) differs from its recomputed hashes at row 3, entry 0", problems);
        Assert.Contains("tile (level 0, index 0) is missing", problems);
        Assert.Contains(problems, p => p.StartsWith("tile (level 0, index 9) is beyond", StringComparison.Ordinal));
        // A proof through the changed node (leaves 512 to 519 at level 3) no longer verifies against the true root; one beside it still does.
        var root = MerkleReference.Mth(LeafData(800).Select(MerkleReference.Leaf).ToList(), 0, 800);
        var proof = log.GetInclusionProof(520, 800);
        Assert.False(proof.Verify(MerkleReference.Leaf(LeafData(800)[520]), root));
        Assert.True(log.GetInclusionProof(700, 800).Verify(MerkleReference.Leaf(LeafData(800)[700]), root));
    }

    [Fact]
    public void Audit_RightEdgeLeafChangedWhileOpen_ReportsTheEdge()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var family = db.CreateColumnFamily(Family);
        var log = MerkleLog.Open(db, family);
        Append(db, log, LeafData(300));
        db.Put(family, MerkleKeys.LeafKey(290), [1]);
        db.Delete(family, MerkleKeys.LeafKey(299));
        var problems = log.Audit().Problems;
        Assert.Contains(problems, p => p.StartsWith("leaves 299 to 299 are missing", StringComparison.Ordinal));

        db.Put(family, MerkleKeys.LeafKey(299), LeafData(300)[299]);
        Assert.Contains(log.Audit().Problems, p => p.StartsWith("the right edge at level 0 differs", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_RightEdgeLeafMissing_ThrowsCorruption()
    {
        using var dir = new TempDir();
        using (var db = LatticeDb.Open(dir.Path))
        {
            var family = db.CreateColumnFamily(Family);
            Append(db, MerkleLog.Open(db, family), LeafData(260));
            db.Delete(family, MerkleKeys.LeafKey(257));
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            var ex = Assert.Throws<CorruptionException>(() => MerkleLog.Open(db, db.GetColumnFamily(Family)));
            Assert.Contains("leaf 257", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Open_StoredTileTruncated_ThrowsCorruptionNamingIt()
    {
        using var dir = new TempDir();
        using (var db = LatticeDb.Open(dir.Path))
        {
            var family = db.CreateColumnFamily(Family);
            Append(db, MerkleLog.Open(db, family), LeafData(600));
            db.Put(family, MerkleKeys.TileKey(0, 1), new byte[100]);
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            var ex = Assert.Throws<CorruptionException>(() => MerkleLog.Open(db, db.GetColumnFamily(Family)));
            Assert.Contains("tile (level 0, index 1)", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Proofs_OutOfRangeArguments_ThrowInvalidArgument()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var log = MerkleLog.Open(db, db.CreateColumnFamily(Family));
        Append(db, log, LeafData(10));
        Assert.Throws<InvalidArgumentException>(() => log.RootHash(11));
        Assert.Throws<InvalidArgumentException>(() => log.RootHash(-1));
        Assert.Throws<InvalidArgumentException>(() => log.GetInclusionProof(10, 10));
        Assert.Throws<InvalidArgumentException>(() => log.GetInclusionProof(-1, 5));
        Assert.Throws<InvalidArgumentException>(() => log.GetConsistencyProof(6, 5));
        Assert.Throws<InvalidArgumentException>(() => log.GetConsistencyProof(1, 11));
        Assert.Throws<InvalidArgumentException>(() => log.LeafData(10));
        Assert.Empty(log.GetConsistencyProof(0, 10).Hashes);
        Assert.Empty(log.GetConsistencyProof(10, 10).Hashes);
    }

    internal static byte[][] LeafData(int count, int salt = 0)
    {
        var data = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            data[i] = new byte[4 + i % 37];
            BinaryPrimitives.WriteInt32LittleEndian(data[i], i ^ salt);
        }
        return data;
    }

    internal static void Append(LatticeDb db, MerkleLog log, IReadOnlyList<byte[]> data, int perBatch = 64)
    {
        for (int start = 0; start < data.Count; start += perBatch)
        {
            var batch = new WriteBatch();
            for (int i = start; i < Math.Min(data.Count, start + perBatch); i++) Assert.Equal(log.Size + (i - start), log.Stage(batch, data[i]));
            db.Write(batch);
            log.Commit();
        }
    }
}

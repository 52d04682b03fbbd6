using CsCheck;
using LatticeKV.Io;
using LatticeKV.Monitoring;
using LatticeKV.Tests.Fuzz;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Monitoring;

/// <summary>
/// The storage history reader on random bytes and on mutations of a valid file: it returns
/// samples or throws <see cref="CorruptionException"/>, nothing else. CsCheck prints the seed of a failure.
/// </summary>
public class StorageHistoryFuzzTests
{
    private static int Iterations => 2000 * TestSeed.Scale;

    private static void ReadOnly(byte[] bytes)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        fs.WriteAllBytesSynced(StorageHistoryFile.PathOf(TestDb.DbPath), bytes);
        try { StorageHistoryFile.Read(fs, TestDb.DbPath); }
        catch (CorruptionException) { }
    }

    private static void RecordOnly(byte[] bytes)
    {
        try { StorageHistoryFile.Decode(bytes, "/db/STORAGE-HISTORY", 0); }
        catch (CorruptionException ex) { Assert.Equal("/db/STORAGE-HISTORY", ex.FilePath); }
    }

    [Fact]
    public void Read_RandomBytes_OnlyCorruption()
        => Gen.Byte.Array[0, 600].Sample(ReadOnly, iter: Iterations, threads: 1);

    [Fact]
    public void Read_MutatedValidFile_OnlyCorruption()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        StorageHistoryFile.Write(fs, TestDb.DbPath, [.. Enumerable.Range(0, 4).Select(StorageHistoryFileTests.Sample)]);
        Mutations.Sample(fs.ReadAllBytes(StorageHistoryFile.PathOf(TestDb.DbPath)), ReadOnly, Iterations);
    }

    [Fact]
    public void Decode_MutatedValidRecord_OnlyCorruption()
        => Mutations.Sample(StorageHistoryFile.Encode(StorageHistoryFileTests.Sample(3)), RecordOnly, Iterations);
}

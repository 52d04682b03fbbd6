using System.Text;
using CsCheck;
using LatticeKV.Events;
using LatticeKV.Io;
using LatticeKV.Tests.Fuzz;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Events;

/// <summary>
/// <c>lkv events</c> reads an <c>EVENTS</c> file it did not write: random bytes, and mutations of
/// a real file, give the lines that parse and skip the rest, never an exception.
/// </summary>
public sealed class EventFileFuzzTests
{
    private static int Iterations => 2000 * TestSeed.Scale;

    private static void ReadOnly(byte[] bytes)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        fs.WriteAllBytesSynced(Path.Combine(TestDb.DbPath, "EVENTS"), bytes);
        foreach (var record in EventFileReader.ReadAll(fs, TestDb.DbPath)) _ = record.FieldsText();
    }

    private static readonly byte[] Valid = Encoding.UTF8.GetBytes(
        """{"time":"2026-01-01T00:00:00.0000000+00:00","kind":"FlushCompleted","level":"Information","fields":{"family":"default","bytes":4096}}""" + "\n"
        + """{"time":"2026-01-01T00:00:01.0000000+00:00","kind":"AlertFired","level":"Warning","fields":{"rule":"free-disk-bytes","value":1.5}}""" + "\n");

    [Fact]
    public void AValidFile_ReadsEveryLine() => Assert.Equal(2, EventFileReaderRead(Valid).Count);

    [Fact]
    public void RandomBytes_SkipWhatDoesNotParse() => Gen.Byte.Array[0, 400].Sample(ReadOnly, iter: Iterations, threads: 1);

    [Fact]
    public void MutatedFiles_SkipWhatDoesNotParse() => Mutations.Sample(Valid, ReadOnly, Iterations);

    [Fact]
    public void DeeplyNestedOrWrongTypedLines_AreSkipped()
    {
        string deep = """{"time":"2026-01-01T00:00:00Z","kind":"X","level":"Y","fields":""" + new string('[', 64) + new string(']', 64) + "}";
        string wrong = """{"time":5,"kind":"X","level":"Y","fields":{}}""";
        string badDate = """{"time":"not a date","kind":"X","level":"Y","fields":{}}""";
        Assert.Empty(EventFileReaderRead(Encoding.UTF8.GetBytes(deep + "\n" + wrong + "\n" + badDate + "\n")));
    }

    private static List<EventRecord> EventFileReaderRead(byte[] bytes)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        fs.WriteAllBytesSynced(Path.Combine(TestDb.DbPath, "EVENTS"), bytes);
        return EventFileReader.ReadAll(fs, TestDb.DbPath);
    }
}

using LatticeKV.Io;

namespace LatticeKV.Tests.Support;

/// <summary>Passes everything to <paramref name="inner"/>, except that creating a table (<c>.sst</c>) waits until <see cref="Open"/>: flushes and compactions hang meanwhile.</summary>
internal sealed class GatedTableFileSystem(IFileSystem inner) : ForwardingFileSystem(inner)
{
    private readonly ManualResetEventSlim _gate = new();

    public void Open() => _gate.Set();

    public override IWritableFile CreateWritable(string path)
    {
        if (path.EndsWith(".sst", StringComparison.Ordinal) && !_gate.Wait(TimeSpan.FromMinutes(1))) throw new TimeoutException("the test never opened the gate");
        return base.CreateWritable(path);
    }
}

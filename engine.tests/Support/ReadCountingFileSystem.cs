using System.Collections.Concurrent;
using LatticeKV.Io;

namespace LatticeKV.Tests.Support;

/// <summary>Passes everything to <paramref name="inner"/> and records every positional read (file, offset, length).</summary>
internal sealed class ReadCountingFileSystem(IFileSystem inner) : ForwardingFileSystem(inner)
{
    public ConcurrentQueue<(string Path, long Offset, int Length)> Reads { get; } = new();

    public override IRandomAccessFile OpenRead(string path) => new CountingFile(base.OpenRead(path), Reads);

    private sealed class CountingFile(IRandomAccessFile file, ConcurrentQueue<(string, long, int)> reads) : IRandomAccessFile
    {
        public string Path => file.Path;

        public long Length => file.Length;

        public int Read(long offset, Span<byte> buffer)
        {
            reads.Enqueue((file.Path, offset, buffer.Length));
            return file.Read(offset, buffer);
        }

        public void Dispose() => file.Dispose();
    }
}

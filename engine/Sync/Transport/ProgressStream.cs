using System.Diagnostics;

namespace LatticeKV.Sync;

/// <summary>
/// The TCP stream under a sync connection's TLS, noting when writes last got anywhere: a write
/// the kernel cannot take (the peer reads nothing, its window is shut) stays pending, and a
/// channel whose write made no progress for its idle timeout is dropped, even while its receive
/// loop is itself blocked sending and so cannot notice the silence (FORMAT.md §16.4).
/// </summary>
internal sealed class ProgressStream(Stream inner) : Stream
{
    private int _pendingWrites;
    private long _lastWriteProgress = Stopwatch.GetTimestamp();

    /// <summary>How long a pending write has made no progress (zero when none is pending).</summary>
    public TimeSpan WriteStalledFor
        => Volatile.Read(ref _pendingWrites) > 0 ? Stopwatch.GetElapsedTime(Volatile.Read(ref _lastWriteProgress)) : TimeSpan.Zero;

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Begin();
        try { inner.Write(buffer, offset, count); }
        finally { End(); }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Begin();
        try { await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false); }
        finally { End(); }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    // The clock restarts when a write begins with none pending and whenever one completes.
    private void Begin()
    {
        if (Interlocked.Increment(ref _pendingWrites) == 1) Volatile.Write(ref _lastWriteProgress, Stopwatch.GetTimestamp());
    }

    private void End()
    {
        Volatile.Write(ref _lastWriteProgress, Stopwatch.GetTimestamp());
        Interlocked.Decrement(ref _pendingWrites);
    }
}

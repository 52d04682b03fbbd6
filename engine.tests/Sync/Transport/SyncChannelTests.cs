using LatticeKV.Sync;

namespace LatticeKV.Tests.Sync.Transport;

/// <summary>The framed channel over a plain stream (no TLS): what SendAsync puts on the wire, what ReceiveAsync makes of it.</summary>
public class SyncChannelTests
{
    private static async Task<byte[]> SentBytes(FrameType type, byte[] payload)
    {
        var wire = new MemoryStream();
        await using var channel = new SyncChannel(wire, "test");
        await channel.SendAsync(type, payload, CancellationToken.None);
        return wire.ToArray();
    }

    private static async Task<List<SyncFrame>> ReceiveAll(byte[] wire)
    {
        await using var channel = new SyncChannel(new MemoryStream(wire), "test");
        var frames = new List<SyncFrame>();
        while (await channel.ReceiveAsync(CancellationToken.None) is { } frame) frames.Add(frame);
        return frames;
    }

    [Fact]
    public async Task SendAsync_CancelledWhileThePeerReadsNothing_ReturnsAndClosesWithoutWritingAgain()
    {
        // A peer that stopped reading: every write waits until it is cancelled or the connection
        // goes. Cancelling the send (a stop) must close the channel, not write the buffered frame
        // again without a token and wait for good.
        var stalled = new StalledStream();
        var channel = new SyncChannel(stalled, "test");
        using var cts = new CancellationTokenSource();
        var send = channel.SendAsync(FrameType.Changes, new byte[64 * 1024], cts.Token);
        await stalled.WriteStarted.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(stalled.IsDisposed);
        await channel.CloseAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ReceiveAsync_PeerStallsInsideAFrame_ProtocolErrorAfterTheStallTimeout_ButASlowFrameArrives()
    {
        var wire = await SentBytes(FrameType.Pull, [1, 2, 3, 4, 5, 6, 7, 8]);
        // Part of a frame, then nothing: cut after the stall timeout, the channel closed.
        var stalled = new TricklingStream(wire.AsMemory(0, 5), TimeSpan.Zero);
        var channel = new SyncChannel(stalled, "test") { FrameStallTimeout = TimeSpan.FromMilliseconds(300) };
        var error = await Assert.ThrowsAsync<SyncProtocolException>(() => channel.ReceiveAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("part of a frame", error.Message, StringComparison.Ordinal);
        Assert.True(channel.IsClosed);
        // The whole frame a byte at a time, each byte later than half the timeout: progress keeps it alive.
        var slow = new TricklingStream(wire, TimeSpan.FromMilliseconds(100));
        await using var patient = new SyncChannel(slow, "test") { FrameStallTimeout = TimeSpan.FromMilliseconds(400) };
        var frame = await patient.ReceiveAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotNull(frame);
        Assert.Equal(FrameType.Pull, frame.Type);
    }

    /// <summary>Delivers <c>bytes</c> one byte per read, each after <c>gap</c> (a slow link), then reads nothing until disposed.</summary>
    private sealed class TricklingStream(ReadOnlyMemory<byte> bytes, TimeSpan gap) : FakeConnection
    {
        private int _at;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_at < bytes.Length)
            {
                if (gap > TimeSpan.Zero) await Task.Delay(gap, cancellationToken).ConfigureAwait(false);
                buffer.Span[0] = bytes.Span[_at++];
                return 1;
            }
            await Task.WhenAny(Disposed, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return 0;
        }


    }

    /// <summary>A stream standing for a connection in these tests: only the asynchronous reads and writes a channel uses; disposing it completes <see cref="Disposed"/>.</summary>
    private abstract class FakeConnection : Stream
    {
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected Task Disposed => _disposed.Task;

        public bool IsDisposed => _disposed.Task.IsCompleted;

        protected override void Dispose(bool disposing)
        {
            _disposed.TrySetResult();
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A connection whose peer reads nothing: writes wait until cancelled or disposed; reads until disposed.</summary>
    private sealed class StalledStream : FakeConnection
    {
        private readonly TaskCompletionSource _writeStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task WriteStarted => _writeStarted.Task;


        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _writeStarted.TrySetResult();
            await Task.WhenAny(Disposed, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            cancellationToken.ThrowIfCancellationRequested();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.WhenAny(Disposed, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return 0;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;


    }

    [Fact]
    public async Task SendAsync_CompressiblePayload_SendsSnappyAndReceivesTheOriginal()
    {
        var payload = new byte[100_000];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)(i % 7);
        var wire = await SentBytes(FrameType.Changes, payload);
        Assert.Equal((byte)FrameFlags.Snappy, wire[2]);
        Assert.True(wire.Length < payload.Length / 4, $"{wire.Length} bytes on the wire for {payload.Length}");
        var frame = Assert.Single(await ReceiveAll(wire));
        Assert.Equal(FrameType.Changes, frame.Type);
        Assert.Equal(payload, frame.Payload);
    }

    [Fact]
    public async Task SendAsync_SmallOrIncompressiblePayload_SendsItUncompressed()
    {
        var random = new byte[5000];
        new Random(TestSeedOf(nameof(SendAsync_SmallOrIncompressiblePayload_SendsItUncompressed))).NextBytes(random);
        foreach (var payload in new[] { new byte[] { 1, 1, 1, 1 }, random })
        {
            var wire = await SentBytes(FrameType.Pull, payload);
            Assert.Equal((byte)FrameFlags.None, wire[2]);
            Assert.Equal(FrameCodec.HeaderSize + payload.Length, wire.Length);
            Assert.Equal(payload, Assert.Single(await ReceiveAll(wire)).Payload);
        }
    }

    [Fact]
    public async Task ReceiveAsync_StreamCutInsideAFrame_ThrowsAndCloses()
    {
        var wire = FrameBytes.Plain(FrameType.Ack, [1, 2, 3, 4, 5]);
        await using var channel = new SyncChannel(new MemoryStream(wire[..^2]), "test");
        var ex = await Assert.ThrowsAsync<SyncProtocolException>(() => channel.ReceiveAsync(CancellationToken.None));
        Assert.Contains("ended inside a frame", ex.Message, StringComparison.Ordinal);
        Assert.True(channel.IsClosed);
        await Assert.ThrowsAsync<SyncConnectionException>(() => channel.ReceiveAsync(CancellationToken.None));
    }

    /// <summary>FORMAT.md §16.2's worked example.</summary>
    [Fact]
    public async Task SendAsync_SmallPullFrame_MatchesTheWorkedExample()
        => Assert.Equal(Convert.FromHexString("01030000" + "03000000" + "39cdc086" + "010203"), await SentBytes(FrameType.Pull, [1, 2, 3]));

    [Fact]
    public async Task SendAsync_PayloadOverTheMaximum_RefusedBeforeSending()
    {
        var wire = new MemoryStream();
        await using var channel = new SyncChannel(wire, "test");
        await Assert.ThrowsAsync<InvalidArgumentException>(() => channel.SendAsync(FrameType.Changes, new byte[FrameCodec.MaxPayloadLength + 1], CancellationToken.None));
        Assert.Equal(0, wire.Length);
    }

    private static int TestSeedOf(string name) => Support.TestSeed.Get(name.Length);
}

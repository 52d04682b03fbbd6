namespace LatticeKV.Tests.Support;

public sealed class TestThreadsTests
{
    [Fact]
    public void JoinAndRethrow_AThreadThrew_FailsWithItsExceptionAndName()
    {
        using var threads = new TestThreads();
        threads.Start(2, "worker", i =>
        {
            if (i == 1) throw new ObjectDisposedException("db");
        });
        var failure = Assert.Throws<AggregateException>(() => threads.JoinAndRethrow());
        Assert.IsType<ObjectDisposedException>(Assert.Single(failure.InnerExceptions));
        Assert.Contains("'worker 1'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_AfterTheTestThrew_StopsLoopsAndOpensGatesBeforeItReturns()
    {
        using var gate = new ManualResetEventSlim();
        var threads = new TestThreads();
        threads.Stopping.Register(gate.Set);
        var looping = threads.Start("looping", () => { while (!threads.Stopping.IsCancellationRequested) Thread.Yield(); });
        var held = threads.Start("held", gate.Wait);
        threads.Dispose();
        Assert.False(looping.IsAlive);
        Assert.False(held.IsAlive);
    }

    [Fact]
    public void Wait_TheSignallingThreadFailedFirst_FailsAtOnceWithItsException()
    {
        using var never = new ManualResetEventSlim();
        using var threads = new TestThreads();
        threads.Start("signaller", () => throw new InvalidOperationException("failed before signalling"));
        var failure = Assert.Throws<AggregateException>(() => threads.Wait(never, "never signalled", TimeSpan.FromMinutes(10)));
        Assert.IsType<InvalidOperationException>(Assert.Single(failure.InnerExceptions));
    }
}

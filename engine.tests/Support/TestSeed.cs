namespace LatticeKV.Tests.Support;

/// <summary>Seeds for randomized tests: fixed by default, overridable with LKV_SEED to replay a failure.</summary>
public static class TestSeed
{
    public static int Get(int fallback)
    {
        var env = Environment.GetEnvironmentVariable("LKV_SEED");
        return env is not null && int.TryParse(env, out int s) ? s : fallback;
    }

    /// <summary>Scale factor for long runs: LKV_LONG=1 multiplies operation counts by 10.</summary>
    public static int Scale => Environment.GetEnvironmentVariable("LKV_LONG") == "1" ? 10 : 1;
}

namespace LatticeKV.Bench.Cache;

/// <summary>Zipf-distributed ranks in [0, n) with exponent <c>theta</c> (YCSB's generator, Gray et al.), hashed so hot keys spread over the key space.</summary>
internal sealed class Zipf(long n, double theta, int seed)
{
    private readonly Random _random = new(seed);
    private readonly double _zetan = Zeta(n, theta);
    private readonly double _alpha = 1 / (1 - theta);
    private readonly double _eta = (1 - Math.Pow(2.0 / n, 1 - theta)) / (1 - Zeta(2, theta) / Zeta(n, theta));

    private static double Zeta(long n, double theta)
    {
        double sum = 0;
        for (long i = 1; i <= n; i++) sum += 1 / Math.Pow(i, theta);
        return sum;
    }

    public long Next()
    {
        double u = _random.NextDouble();
        double uz = u * _zetan;
        long rank = uz < 1 ? 0 : uz < 1 + Math.Pow(0.5, theta) ? 1 : (long)(n * Math.Pow(_eta * u - _eta + 1, _alpha));
        rank = Math.Min(rank, n - 1);
        // Hashed so that the hot keys spread over the key space (a few ranks collide, which only merges their weights).
        ulong h = (ulong)rank * 0x9E3779B97F4A7C15UL;
        return (long)((h ^ (h >> 29)) % (ulong)n);
    }
}

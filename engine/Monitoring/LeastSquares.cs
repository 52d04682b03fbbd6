namespace LatticeKV.Monitoring;

/// <summary>The slope of the least-squares line through points.</summary>
internal static class LeastSquares
{
    /// <summary>dy/dx of the best-fitting line; 0 when every x is the same.</summary>
    public static double Slope(IEnumerable<(double X, double Y)> points)
    {
        var list = points as IReadOnlyList<(double X, double Y)> ?? [.. points];
        if (list.Count < 2) return 0;
        // Centred sums: x values are large (milliseconds), so the textbook n·Σxy − Σx·Σy cancels badly.
        double mx = list.Average(p => p.X), my = list.Average(p => p.Y);
        double sxy = 0, sxx = 0;
        foreach (var (x, y) in list)
        {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx) * (x - mx);
        }
        return sxx == 0 ? 0 : sxy / sxx;
    }
}

namespace LatticeKV.Tool.Cli;

/// <summary>Range checks for numeric options: a value out of range is a usage error (exit code 2) before anything runs.</summary>
public static class Require
{
    /// <summary><paramref name="value"/> when it is at least <paramref name="min"/>; otherwise a <see cref="UsageException"/> naming <paramref name="option"/>.</summary>
    public static T AtLeast<T>(T value, T min, string option) where T : System.Numerics.INumber<T>
        => value >= min ? value : throw new UsageException($"{option} must be at least {min} (got {value}).");

    /// <summary><paramref name="value"/> when it lies in [<paramref name="min"/>, <paramref name="max"/>]; otherwise a <see cref="UsageException"/>.</summary>
    public static T InRange<T>(T value, T min, T max, string option) where T : System.Numerics.INumber<T>
        => value >= min && value <= max ? value : throw new UsageException($"{option} must be from {min} to {max} (got {value}).");
}

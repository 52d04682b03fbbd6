namespace LatticeKV;

/// <summary>The new value of an entry (<see cref="MigrationSteps.TransformValues"/>), or null to delete it.</summary>
public delegate byte[]? MigrationValueTransform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

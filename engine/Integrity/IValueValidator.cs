namespace LatticeKV;

/// <summary>
/// Judges a value before it is stored in a column family (<see cref="ColumnFamilyOptions.Validator"/>):
/// every put (<c>LatticeDb.Put</c>, a <see cref="WriteBatch"/>, a transaction) and every value a
/// merge produces is checked before its batch is queued, and a rejection throws
/// <see cref="ValidationException"/> with nothing of the batch written. Deletions are not judged.
/// Built-ins: <see cref="ValueValidators"/>.
/// </summary>
/// <remarks>
/// A validator must be thread-safe, deterministic (the same key and value always get the same
/// answer), quick (it runs on the writer's thread, and for merges while other writers wait), and
/// must not call the database. It should not allocate when it accepts. A validator that throws
/// rejects the write. For an encrypted family (<see cref="ColumnFamilyOptions.Encrypted"/>) the
/// reason appears in exception messages: a validator of your own must not quote the key or the
/// value in it (the built-ins never do there).
/// </remarks>
/// <example>
/// <code>
/// sealed class PositiveBalance : IValueValidator
/// {
///     public bool TryValidate(ReadOnlySpan&lt;byte&gt; key, ReadOnlySpan&lt;byte&gt; value, out string? reason)
///     {
///         reason = value.Length == 8 &amp;&amp; BitConverter.ToInt64(value) &gt;= 0 ? null : "balance must be a non-negative 64-bit integer";
///         return reason is null;
///     }
/// }
/// </code>
/// </example>
public interface IValueValidator
{
    /// <summary>
    /// True when <paramref name="value"/> may be stored under <paramref name="key"/>; otherwise
    /// false with <paramref name="reason"/> saying why (shown in <see cref="ValidationException"/>).
    /// </summary>
    bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason);
}

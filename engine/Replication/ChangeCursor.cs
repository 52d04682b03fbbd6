using System.Globalization;

namespace LatticeKV;

/// <summary>
/// A place in a database's change log: everything at or before <see cref="Position"/> has been
/// seen. Positions follow commit order and survive restarts, so a consumer that stores the cursor
/// of the last change it handled (<see cref="Change.Cursor"/>) resumes exactly after it with
/// <c>LatticeDb.GetChanges</c> or <c>LatticeDb.WatchChangesAsync</c>. Positions are the
/// database's sequence numbers: increasing, not contiguous.
/// </summary>
public readonly record struct ChangeCursor(ulong Position)
{
    /// <summary>Before every change: reads the whole retained log (or throws <see cref="ChangeLogTruncatedException"/> once some was dropped).</summary>
    public static ChangeCursor Beginning => default;

    /// <summary>The position as text (what <c>lkv changes --since</c> takes).</summary>
    public override string ToString() => Position.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads a cursor written by <see cref="ToString"/>.</summary>
    /// <exception cref="InvalidArgumentException">Not a position.</exception>
    public static ChangeCursor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong position)
            ? new ChangeCursor(position)
            : throw new InvalidArgumentException($"'{text}' is not a change log position (a non-negative integer).", nameof(text));
    }
}

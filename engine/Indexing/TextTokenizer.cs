using System.Globalization;
using System.Text;

namespace LatticeKV.Indexing;

/// <summary>
/// Splits text into words and folds their case. A word is a run of letters, digits, combining
/// marks and connector punctuation, with an apostrophe or a period allowed between two letters
/// (the MidLetter rule of Unicode word boundaries, UAX #29: "don't", "e.g"); each ideograph or
/// kana is a word of its own, as UAX #29 leaves them. Words are lower-cased with the invariant
/// culture rune by rune and returned as UTF-8; words longer than <see cref="MaxWordBytes"/> are cut there.
/// </summary>
internal static class TextTokenizer
{
    public const int MaxWordBytes = 128;

    public static void Tokenize(ReadOnlySpan<byte> utf8, ITokenSink output) => Tokenize(Encoding.UTF8.GetString(utf8), output);

    public static void Tokenize(string text, ITokenSink output)
    {
        Span<byte> word = stackalloc byte[MaxWordBytes];
        int length = 0;
        Rune previous = default;
        var list = new List<Rune>(text.Length);
        foreach (var r in text.EnumerateRunes()) list.Add(r);
        for (int i = 0; i < list.Count; i++)
        {
            var r = list[i];
            if (IsIdeograph(r))
            {
                Flush(output, word, ref length);
                Append(word, ref length, r);
                Flush(output, word, ref length);
                continue;
            }
            bool mid = (r.Value is '\'' or '\u2019' or '.') && length > 0 && Rune.IsLetter(previous) && i + 1 < list.Count && Rune.IsLetter(list[i + 1]);
            if (IsWordRune(r) || mid) Append(word, ref length, mid ? r : Rune.ToLowerInvariant(r));
            else Flush(output, word, ref length);
            previous = r;
        }
        Flush(output, word, ref length);
    }

    private static bool IsWordRune(Rune r)
    {
        if (Rune.IsLetterOrDigit(r)) return true;
        var c = Rune.GetUnicodeCategory(r);
        return c is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.ConnectorPunctuation;
    }

    private static bool IsIdeograph(Rune r) => r.Value is (>= 0x3040 and <= 0x30FF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x4E00 and <= 0x9FFF)
        or (>= 0xF900 and <= 0xFAFF) or (>= 0x20000 and <= 0x2FFFF);

    private static void Append(Span<byte> word, ref int length, Rune r)
    {
        if (length + r.Utf8SequenceLength > word.Length) return; // cut at the limit, on a rune boundary
        length += r.EncodeToUtf8(word[length..]);
    }

    private static void Flush(ITokenSink output, Span<byte> word, ref int length)
    {
        if (length == 0) return;
        output.Add(word[..length]);
        length = 0;
    }
}

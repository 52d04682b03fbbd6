using System.Globalization;
using System.Text.Json;

namespace LatticeKV;

/// <summary>The JSON of one line of the event file (FORMAT.md, "EVENTS").</summary>
internal static class EventJson
{
    public static void WriteNumbers(Utf8JsonWriter writer, string name, IReadOnlyList<long> numbers)
    {
        writer.WriteStartArray(name);
        foreach (long n in numbers) writer.WriteNumberValue(n);
        writer.WriteEndArray();
    }

    /// <summary>JSON has no NaN or infinities: those are written as null.</summary>
    public static void WriteDouble(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteNull(name);
    }

    /// <summary>The line for <paramref name="e"/>, with its newline, as UTF-8.</summary>
    public static byte[] Line(LatticeEvent e)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteString("kind", e.Kind.ToString());
            w.WriteString("level", e.LogLevel.ToString());
            w.WriteStartObject("fields");
            e.WriteFields(w);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        var line = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(line);
        line[^1] = (byte)'\n';
        return line;
    }
}

using System.CommandLine;
using System.Security.Cryptography;
using System.Text;

namespace LatticeKV.Tool.Cli;

/// <summary>
/// Where lkv gets the key of an encrypted database: <c>--passphrase-file</c>, <c>--key-file</c>
/// (32 raw bytes, or 64 hex digits) or the environment variable <c>LKV_PASSPHRASE</c>. The
/// options sit on the root command and are recursive, so every command takes them. A key
/// given for a database that is not encrypted is ignored: lkv never encrypts an existing one.
/// </summary>
public static class KeyOptions
{
    /// <summary>The passphrase when neither option is given.</summary>
    public const string PassphraseVariable = "LKV_PASSPHRASE";

    /// <summary>The file a passphrase is read from (one trailing newline dropped); <c>-</c> reads standard input.</summary>
    public static readonly Option<string?> PassphraseFile = new("--passphrase-file")
    {
        Description = "Encrypted databases: read the passphrase from this file (one trailing newline is dropped; - reads standard input). Default: $" + PassphraseVariable + ".",
        Recursive = true,
    };

    /// <summary>The file a raw master key is read from; <c>-</c> reads standard input.</summary>
    public static readonly Option<string?> KeyFile = new("--key-file")
    {
        Description = "Encrypted databases: read the 32-byte master key from this file (32 raw bytes, or 64 hex digits; - reads standard input).",
        Recursive = true,
    };

    /// <summary>The encryption options the command line or environment gives, or null when none is given.</summary>
    public static EncryptionOptions? From(ParseResult r)
    {
        string? passphraseFile = r.GetValue(PassphraseFile), keyFile = r.GetValue(KeyFile);
        if (passphraseFile is not null && keyFile is not null) throw new UsageException("give either --passphrase-file or --key-file, not both.");
        if (keyFile is not null) return FromKeyFile(keyFile, "--key-file");
        if (passphraseFile is not null) return EncryptionOptions.FromPassphrase(ReadPassphrase(passphraseFile, "--passphrase-file"));
        return Environment.GetEnvironmentVariable(PassphraseVariable) is { Length: > 0 } p ? EncryptionOptions.FromPassphrase(p) : null;
    }

    /// <summary>A raw master key from <paramref name="path"/> (32 bytes, or 64 hex digits with optional surrounding whitespace).</summary>
    public static EncryptionOptions FromKeyFile(string path, string option)
    {
        var bytes = ReadSecret(path, option);
        byte[]? key = null;
        try
        {
            if (bytes.Length == 32) return EncryptionOptions.FromKey(bytes);
            string text = Encoding.ASCII.GetString(bytes).Trim();
            if (text.Length == 64)
            {
                try { key = Convert.FromHexString(text); }
                catch (FormatException) { key = null; }
            }
            if (key is null) throw new EncryptionKeyException($"{option} '{path}' must hold a 32-byte key: 32 raw bytes or 64 hex digits (it holds {bytes.Length} bytes).");
            return EncryptionOptions.FromKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            if (key is not null) CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>A passphrase from <paramref name="path"/>: UTF-8, one trailing newline (LF or CRLF) dropped, not empty.</summary>
    public static string ReadPassphrase(string path, string option)
    {
        var bytes = ReadSecret(path, option);
        try
        {
            string text;
            try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
            catch (DecoderFallbackException) { throw new EncryptionKeyException($"{option} '{path}' is not UTF-8 text."); }
            if (text.EndsWith("\r\n", StringComparison.Ordinal)) text = text[..^2];
            else if (text.EndsWith('\n')) text = text[..^1];
            if (text.Length == 0) throw new EncryptionKeyException($"{option} '{path}' is empty.");
            return text;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static byte[] ReadSecret(string path, string option)
    {
        try
        {
            if (path == "-")
            {
                using var stdin = Console.OpenStandardInput();
                using var buffer = new MemoryStream();
                stdin.CopyTo(buffer);
                return buffer.ToArray();
            }
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EncryptionKeyException($"cannot read {option} '{path}': {ex.Message}", ex);
        }
    }
}

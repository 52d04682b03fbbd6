namespace LatticeKV.Tests.Support;

/// <summary>A unique temporary directory per test, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string? name = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lkv-tests", (name ?? "t") + "-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        // A recursive delete fails when a file appears while it runs (a test's abandoned writer,
        // an open handle on another platform); try again rather than leave a directory behind.
        for (int attempt = 0; attempt < 5 && Directory.Exists(Path); attempt++)
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}

using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Xml.Linq;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary>
/// The two packages a team takes: the engine (LatticeKV) and the tool (LatticeKV.Tool, a .NET
/// tool). Both are packed from this build (no rebuild), their metadata read back, and the tool
/// installed from a local folder into a fresh tool path, with its own package cache, and run.
/// </summary>
public sealed class PackagingTests
{
    /// <summary>The Source Link record in a portable PDB (its CustomDebugInformation kind).</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    [Fact]
    public void EnginePackage_CarriesMetadataReadmeLicenseAndSourceLinkedSymbols()
    {
        using var dir = new TempDir("pack");
        string nupkg = Pack("engine", dir.Path, "LatticeKV");
        using var zip = ZipFile.OpenRead(nupkg);
        var meta = Nuspec(zip);

        Assert.Equal("LatticeKV", Field(meta, "id"));
        Assert.Equal(ToolVersion(), Field(meta, "version"));
        Assert.True(Field(meta, "description").Length > 200, "a real description, not the SDK's placeholder");
        Assert.NotEqual("Package Description", Field(meta, "description"));
        Assert.Equal("MIT", Field(meta, "license"));
        Assert.Contains("lsm", Field(meta, "tags").Split(' '));
        Assert.Equal("README.md", Field(meta, "readme"));
        var repository = meta.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit") ?? "");
        Assert.NotNull(zip.GetEntry("README.md"));
        Assert.NotNull(zip.GetEntry("LICENSE"));
        Assert.NotNull(zip.GetEntry("lib/net10.0/LatticeKV.dll"));
        Assert.NotNull(zip.GetEntry("lib/net10.0/LatticeKV.xml"));

        string snupkg = Path.ChangeExtension(nupkg, ".snupkg");
        Assert.True(File.Exists(snupkg), "symbols are packed beside the package");
        using var symbols = ZipFile.OpenRead(snupkg);
        var pdb = symbols.GetEntry("lib/net10.0/LatticeKV.pdb");
        Assert.NotNull(pdb);
        using var pdbBytes = new MemoryStream();
        using (var s = pdb!.Open()) s.CopyTo(pdbBytes);
        pdbBytes.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdbBytes);
        var reader = provider.GetMetadataReader();
        string? sourceLink = reader.CustomDebugInformation
            .Select(reader.GetCustomDebugInformation)
            .Where(c => reader.GetGuid(c.Kind) == SourceLinkKind)
            .Select(c => System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(c.Value)))
            .FirstOrDefault();
        Assert.NotNull(sourceLink);
        Assert.Contains("raw.githubusercontent.com", sourceLink, StringComparison.Ordinal);
    }

    [Fact]
    public void ToolPackage_InstallsFromALocalFolderIntoAFreshLocationAndRuns()
    {
        using var dir = new TempDir("tool");
        string feed = Directory.CreateDirectory(Path.Combine(dir.Path, "feed")).FullName;
        string nupkg = Pack("tools", feed, "LatticeKV.Tool");
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            var meta = Nuspec(zip);
            Assert.Contains(meta.Elements(), e => e.Name.LocalName == "packageTypes"
                && e.Elements().Any(t => (string?)t.Attribute("name") == "DotnetTool"));
            Assert.Equal("MIT", Field(meta, "license"));
            Assert.NotNull(zip.GetEntry("README.md"));
        }

        string toolPath = Path.Combine(dir.Path, "installed");
        var install = Dotnet(dir.Path, ["tool", "install", "LatticeKV.Tool", "--tool-path", toolPath, "--add-source", feed,
            "--version", ToolVersion(), "--ignore-failed-sources"], Path.Combine(dir.Path, "nuget-cache"));
        Assert.True(install.ExitCode == 0, install.ToString());

        string lkv = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "lkv.exe" : "lkv");
        Assert.True(File.Exists(lkv), $"the tool's shim {lkv} was installed");
        var version = Run(lkv, ["--version"], dir.Path);
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.StartsWith(ToolVersion(), version.Stdout.Trim(), StringComparison.Ordinal);

        // The installed tool works on a real database: a put, then a get of it back.
        string db = Path.Combine(dir.Path, "db");
        var put = Run(lkv, ["put", db, "installed", "yes", "--create"], dir.Path);
        Assert.True(put.ExitCode == 0, put.ToString());
        var get = Run(lkv, ["get", db, "installed"], dir.Path);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("yes", get.Stdout.Trim());
    }

    /// <summary>The version both packages carry: the built assembly's, without its commit suffix.</summary>
    private static string ToolVersion()
    {
        string info = typeof(LatticeDb).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        int plus = info.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? info : info[..plus];
    }

    /// <summary>Packs <paramref name="project"/> (a folder under the repository root) from the existing build into <paramref name="output"/>.</summary>
    private static string Pack(string project, string output, string id)
    {
        string root = RepositoryRoot();
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var pack = Dotnet(root, ["pack", Path.Combine(root, project), "-c", configuration, "--no-build", "--no-restore", "-o", output, "-nologo"]);
        Assert.True(pack.ExitCode == 0, pack.ToString());
        string nupkg = Path.Combine(output, $"{id}.{ToolVersion()}.nupkg");
        Assert.True(File.Exists(nupkg), $"{nupkg} was packed\n{pack}");
        return nupkg;
    }

    private static XElement Nuspec(ZipArchive zip)
    {
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var s = entry.Open();
        return XDocument.Load(s).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string Field(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LatticeKV.sln"))) return d.FullName;
        throw new InvalidOperationException($"no LatticeKV.sln above {AppContext.BaseDirectory}");
    }

    private static LkvResult Dotnet(string workingDirectory, string[] args, string? packageCache = null)
    {
        var env = new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        // A private package cache: the installed tool must come from this build's feed, and nothing lands in the user's cache.
        if (packageCache is not null) env["NUGET_PACKAGES"] = packageCache;
        return Run(Lkv.Host, args, workingDirectory, env);
    }

    private static LkvResult Run(string file, string[] args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        // MSBuild nodes started by the test's dotnet would outlive it and hold the build's files.
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        // The installed tool's shim finds the runtime through DOTNET_ROOT when dotnet is not in a default place.
        if (Path.GetDirectoryName(Lkv.Host) is { Length: > 0 } hostDir && File.Exists(Lkv.Host)) psi.Environment["DOTNET_ROOT"] = hostDir;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        process.WaitForExit();
        return new LkvResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}

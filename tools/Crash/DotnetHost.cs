namespace LatticeKV.Tool.Crash;

/// <summary>The dotnet host that runs lkv's child processes: the one running this process, else dotnet on PATH.</summary>
internal static class DotnetHost
{
    public static string Path
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}

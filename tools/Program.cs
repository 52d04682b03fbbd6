using System.CommandLine;
using LatticeKV.Tool.Commands;

namespace LatticeKV.Tool;

/// <summary>The lkv command line: a thin shell over command classes, each a library function.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("lkv: run, inspect and stress LatticeKV databases.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(CrashChildCommand.Create());
        root.Subcommands.Add(TortureCommand.Create());
        return root.Parse(args).Invoke();
    }
}

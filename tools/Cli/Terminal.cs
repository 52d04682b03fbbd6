using Spectre.Console;

namespace LatticeKV.Tool.Cli;

/// <summary>
/// Consoles for lkv: results go to standard output, messages and progress to standard error,
/// so that output piped to a file or a JSON parser stays clean.
/// </summary>
public static class Terminal
{
    private static readonly Lazy<IAnsiConsole> s_out = new(() => Create(Console.Out, Console.IsOutputRedirected));
    private static readonly Lazy<IAnsiConsole> s_err = new(() => Create(Console.Error, Console.IsErrorRedirected));

    /// <summary>Standard output.</summary>
    public static IAnsiConsole Out => s_out.Value;

    /// <summary>Standard error.</summary>
    public static IAnsiConsole Err => s_err.Value;

    /// <summary>True when standard error is a terminal that can show a live progress bar.</summary>
    public static bool CanShowProgress => !Console.IsErrorRedirected;

    private static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        // Redirected output has no width; wide enough that tables do not wrap keys.
        if (redirected) console.Profile.Width = 200;
        return console;
    }

    /// <summary>Writes an error line to standard error.</summary>
    public static void Error(string message) => Err.MarkupLine("[red]lkv: " + Markup.Escape(message) + "[/]");
}

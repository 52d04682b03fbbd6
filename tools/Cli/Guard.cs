namespace LatticeKV.Tool.Cli;

/// <summary>
/// Runs a command and turns every failure into a one-line message and a documented exit code:
/// a user error never shows a stack trace. Only a bug (exit 70) prints one, to be reported.
/// </summary>
public static class Guard
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (UsageException ex)
        {
            return Fail(ex.Message, ExitCodes.Usage);
        }
        catch (ExitException ex)
        {
            return Fail(ex.Message, ex.ExitCode);
        }
        catch (DbNotFoundException ex)
        {
            return Fail($"no LatticeKV database at '{ex.DbPath}'.", ExitCodes.DbNotFound);
        }
        catch (PathNotFoundException ex)
        {
            return Fail(ex.Message, ExitCodes.DbNotFound);
        }
        catch (DbLockedException ex)
        {
            return Fail($"the database at '{ex.DbPath}' is open in another process; close it first.", ExitCodes.Locked);
        }
        catch (Exception ex) when (ex is ColumnFamilyNotFoundException or UnknownColumnFamilyException)
        {
            return Fail(ex.Message, ExitCodes.ColumnFamilyNotFound);
        }
        catch (CorruptionException ex)
        {
            return Fail(ex.Message + " (`lkv verify` lists every damaged file; `lkv repair` rebuilds the database)", ExitCodes.Corruption);
        }
        catch (InvalidArgumentException ex)
        {
            return Fail(ex.Message, ExitCodes.Usage);
        }
        catch (ChangeLogTruncatedException ex)
        {
            return Fail(ex.Message, ExitCodes.ChangesTruncated);
        }
        catch (Exception ex) when (ex is SyncConnectionException or SyncProtocolException)
        {
            return Fail(ex.Message, ExitCodes.SyncFailed);
        }
        catch (Exception ex) when (ex is IndexNotReadyException or UniqueConstraintException)
        {
            return Fail(ex.Message, ExitCodes.Usage);
        }
        catch (EncryptionKeyException ex)
        {
            return Fail(ex.Message, ExitCodes.EncryptionKey);
        }
        catch (SyncIdentityException ex)
        {
            return Fail(ex.Message, ExitCodes.Usage);
        }
        catch (DbAlreadyExistsException ex)
        {
            return Fail(ex.Message, ExitCodes.Usage);
        }
        catch (LatticeIOException ex)
        {
            return Fail(ex.Message, ExitCodes.IoError);
        }
        catch (BackgroundErrorException ex)
        {
            return Fail(ex.Message + (ex.InnerException is { } inner ? ": " + inner.Message : ""), ExitCodes.IoError);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(ex.Message, ExitCodes.IoError);
        }
#pragma warning disable CA1031 // the last line of defence: a bug still gets a message and an exit code
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Terminal.Error("internal error (please report it with the lines below): " + ex.Message);
            Console.Error.WriteLine(ex.ToString());
            return ExitCodes.Internal;
        }
    }

    private static int Fail(string message, int code)
    {
        Terminal.Error(message);
        return code;
    }
}

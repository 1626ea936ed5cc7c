using System.CommandLine;
using System.CommandLine.Invocation;
using Surplus.Cli;

var root = new RootCommand("Surplus: a marketplace for spare computing capacity.")
{
    ServeCommand.Create(),
    AgentCommand.Create(),
    DemoCommand.Create(),
};
root.SetAction(_ =>
{
    Console.Error.WriteLine("surplus: give a command, such as 'surplus serve' (see 'surplus --help')");
    return ExitCodes.Usage;
});

var parse = root.Parse(args);
if (parse.Action is ParseErrorAction)
{
    // One line a script can show or grep; the full usage is one --help away.
    var command = parse.CommandResult.Command;
    var name = command == root ? "surplus" : $"surplus {command.Name}";
    await Console.Error.WriteLineAsync($"surplus: {string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')))} (see '{name} --help')");
    return ExitCodes.Usage;
}

// The server's host handles SIGINT and SIGTERM itself and stops gracefully (the engines finish
// their batches); System.CommandLine's own handler would cut that short after a timeout.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

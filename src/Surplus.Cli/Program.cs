using System.CommandLine;
using System.CommandLine.Invocation;
using Surplus.Cli;

var root = new RootCommand("Surplus: a marketplace for spare computing capacity.")
{
    ServeCommand.Create(),
    LoginCommand.Create(),
    MemberCommands.Member(),
    MemberCommands.Markets(),
    OrderCommands.Offer(),
    OrderCommands.Need(),
    BatchCommand.Create(),
    MemberCommands.Book(),
    MemberCommands.Trades(),
    DealCommands.Negotiate(),
    DealCommands.Contracts(),
    AccountCommands.Account(),
    AccountCommands.Events(),
    BlobCommand.Create(),
    AdminCommand.Create(),
    AgentCommand.Create(),
    DemoCommand.Create(),
};
foreach (var command in MemberCommands.MarketData())
{
    root.Subcommands.Add(command);
}

root.Options.Add(Cli.Json);
root.Options.Add(Cli.Url);
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
    var name = command == root ? "surplus" : $"surplus {string.Join(' ', CommandPath(command))}";
    await Console.Error.WriteLineAsync($"surplus: {string.Join("; ", parse.Errors.Select(e => string.Join(' ', e.Message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.')))} (see '{name} --help')");
    return ExitCodes.Usage;
}

// The server's host handles SIGINT and SIGTERM itself and stops gracefully (the engines finish
// their batches); System.CommandLine's own handler would cut that short after a timeout.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

static IEnumerable<string> CommandPath(Command command)
{
    var names = new Stack<string>();
    for (var c = command; c is not null && c is not RootCommand; c = c.Parents.OfType<Command>().FirstOrDefault())
    {
        names.Push(c.Name);
    }

    return names;
}

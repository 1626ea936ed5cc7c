using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Surplus.Agent;
using Surplus.Client;

namespace Surplus.Cli;

/// <summary><c>surplus agent --config agent.json</c>: the seller's daemon, until SIGTERM or Ctrl+C.</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config")
        {
            Description = "The agent's configuration file (docs/agent.md): the exchange, the key, offers, capacity, runtimes, limits and fetch rules.",
            HelpName = "agent.json",
            Required = true,
        };
        var command = new Command("agent", "Run the seller's agent: keeps the configured offers on the exchange, takes the contracts they sell, runs the buyers' jobs in a sandbox and delivers the results. Stop with Ctrl+C or SIGTERM; running jobs get the shutdown grace to finish, the rest is handed back.")
        {
            config,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(config)!));
        return command;
    }

    private static async Task<int> RunAsync(string path)
    {
        var (config, error) = AgentConfig.Load(path);
        if (config is null)
        {
            await Console.Error.WriteLineAsync($"surplus: {error}");
            return ExitCodes.Usage;
        }

        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // stop cleanly: the agent hands back what it cannot finish
            stop.Cancel();
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.UseUtcTimestamp = true;
        }));
        var log = logging.CreateLogger("surplus.agent");
        using var client = new SurplusClient(new Uri(config.Server), config.Key);
        using var agent = new SellerAgent(config, client, TimeProvider.System, log);
        try
        {
            await agent.RunAsync(stop.Token);
            log.LogInformation("stopped");
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (SurplusApiException e)
        {
            await Console.Error.WriteLineAsync($"surplus: the exchange refused the agent: {e.Detail}{(e.Status == 401 ? " (check the key in the configuration)" : "")}");
            return ExitCodes.Failed;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"surplus: cannot reach the exchange at {config.Server}: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}

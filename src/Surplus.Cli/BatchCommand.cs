using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.Cli;

/// <summary><c>surplus orders --file FILE</c>: many offers and needs in one request.</summary>
internal static class BatchCommand
{
    public static Command Create()
    {
        var file = Opt.Of<string>("--file", "A JSON file: {\"orders\":[{\"offer\":{…}},{\"need\":{…}}]}, each as for POST /v1/offers or /v1/needs ('-' reads stdin).", "file", required: true);
        var orders = new Command("orders", "Place several offers and needs in one request, in the order given; each is answered as on its own. Exits 3 when any was refused.") { file };
        Cli.Act(orders, async c =>
        {
            var path = c.Value(file);
            string text;
            if (path == "-")
            {
                text = await Console.In.ReadToEndAsync(c.Cancel);
            }
            else if (File.Exists(path))
            {
                text = await File.ReadAllTextAsync(path, c.Cancel);
            }
            else
            {
                throw new UsageException($"--file: no file '{path}'");
            }

            BatchOrdersRequest request;
            try
            {
                request = JsonSerializer.Deserialize<BatchOrdersRequest>(text, SurplusClient.Json)
                    ?? throw new UsageException($"--file: '{path}' holds no orders");
            }
            catch (JsonException e)
            {
                throw new UsageException($"--file: '{path}' is not a batch of orders ({e.Message})");
            }

            var response = await c.Member.PlaceOrdersAsync(request, cancellationToken: c.Cancel);
            c.Print(response, r =>
            {
                var t = Render.Table("#", "status", "order", "state", "trades", "problem");
                for (var i = 0; i < r.Results.Count; i++)
                {
                    var x = r.Results[i];
                    var (order, state, trades) = x switch
                    {
                        { Offer: { } o } => ($"offer {o.Offer.Id}", o.Offer.Status, o.Trades.Count),
                        { Need: { } n } => ($"need {n.Need.Id}", n.Need.Status, n.Trades.Count),
                        _ => ("", "", 0),
                    };
                    t.AddRow($"{i}", x.Status is >= 200 and < 300 ? $"[green]{x.Status}[/]" : $"[red]{x.Status}[/]", Cli.Esc(order),
                        state.Length > 0 ? Render.Status(state) : "", $"{trades}", Cli.Esc(x.Problem?.Detail));
                }

                c.Out.Write(t);
            });
            var refused = response.Results.Count(x => x.Status is < 200 or >= 300);
            if (refused > 0)
            {
                return Cli.Fail(ExitCodes.Refused, $"{refused} of {response.Results.Count} orders were refused (see their problems)");
            }

            return ExitCodes.Ok;
        });
        return orders;
    }
}

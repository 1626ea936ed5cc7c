using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Prometheus;
using Surplus.Exchange.Contracts;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Queries;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Protocol;
using Surplus.Server.Api;

namespace Surplus.Server;

/// <summary>Builds the exchange server: the HTTP API, the engines and the store.</summary>
public static class ServerApp
{
    /// <summary>The address the server listens on when none is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>
    /// Builds the server from command-line style arguments: <c>--urls</c>, <c>--data</c> (the data
    /// folder), <c>--db</c> (a SQLite path or a PostgreSQL connection string), and any
    /// <c>--Surplus:Name=value</c> setting of <see cref="ServerOptions"/>.
    /// </summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
        {
            ["--data"] = "Surplus:DataDirectory",
            ["--db"] = "Surplus:Database",
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var options = builder.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        builder.Services.Configure<ServerOptions>(builder.Configuration.GetSection(ServerOptions.Section));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // The hosting's request log writes only below Warning, yet while it is on at any level it gives
        // every request a log scope and an Activity, kept for as long as the request is open: hours for
        // an event stream, at ten thousand of them.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        // API keys need no cookies or tokens, so the data-protection keys are never used for anything secret.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ExchangeMetrics>();
        AddExchangeParts(services);
        services.AddHostedService<ExchangeService>();

        // After the exchange (which migrates and loads the store); stopped before it.
        services.AddHostedService<ContractMonitor>();
        services.AddHostedService<Signals.WebhookDispatcher>();
        services.AddSingleton<Signals.EventStreams>();
        services.AddHostedService(provider => provider.GetRequiredService<Signals.EventStreams>());
        services.AddHttpClient(Signals.WebhookDispatcher.ClientName, client => client.Timeout = TimeSpan.FromSeconds(10))

            // A redirect is an answer that is not a 2xx: the signal is tried again, never posted elsewhere.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectCallback = Signals.WebhookConnections.Connect(options.WebhookPrivateAddresses),
            })

            // Not four log lines per post: the dispatcher logs what fails.
            .RemoveAllLoggers();
        services.Configure<JsonOptions>(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddOpenApi("v1", ApiDocument.Configure);
        services.AddAuthentication(ApiKeyHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyHandler.MemberPolicy, p => p.RequireRole("member"))
            .AddPolicy(ApiKeyHandler.ActiveMemberPolicy, p => p.RequireRole("member").RequireClaim("active", "true"))
            .AddPolicy(ApiKeyHandler.AdminPolicy, p => p.RequireRole("admin"));
        services.AddSingleton<RequestGate>();
        services.AddSingleton<FairUse>();

        var app = builder.Build();
        var gate = app.Services.GetRequiredService<RequestGate>();

        // In front of everything: a stream is written once the rest of the pipeline has returned.
        app.Use(app.Services.GetRequiredService<Signals.EventStreams>().HandOver);
        app.UseExceptionHandler(error => error.Run(async http =>
        {
            var exception = http.Features.Get<IExceptionHandlerFeature>()?.Error;
            var problem = exception switch
            {
                BadHttpRequestException { StatusCode: 413 } => HostProblems.TooLarge(http),
                BadHttpRequestException e => Problems.Explain(e),
                { } e when Surplus.Exchange.Storage.StoreHealth.IsRefusal(e) => RefusalMessages.StoreRefusedRequest.With(),
                _ => RefusalMessages.Internal.With(),
            };
            if (exception is BadHttpRequestException)
            {
                // What is left of a body the server could not read cannot be told from the next request.
                HostProblems.CloseAfterAnswer(http);
            }

            if (problem.Code == "store-unavailable")
            {
                http.RequestServices.GetRequiredService<StoreHealth>().Refused();
                if (!http.RequestAborted.IsCancellationRequested)
                {
                    app.Logger.LogError(exception, "the store refused a change on {Method} {Path}", http.Request.Method, http.Request.Path);
                }
            }

            if (Problems.StatusOf(problem) == StatusCodes.Status500InternalServerError)
            {
                app.Logger.LogError(exception, "unhandled error on {Path}", http.Request.Path);
            }

            await Problems.WriteAsync(http, problem);
        }));

        // Paths and methods the API does not have, bodies of a type a route does not take, and every
        // other error the host answers without a body: problem+json like every other error.
        app.UseStatusCodePages(HostProblems.WriteStatusPageAsync);
        app.Use(HostProblems.CloseOnRefusedLargeBody);
        app.UseAuthentication();
        app.Use(gate.PassAsync);
        app.UseAuthorization();
        Endpoints.Map(app);
        Dashboard.DashboardEndpoints.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        var metrics = app.Services.GetRequiredService<ExchangeMetrics>();
        app.MapMetrics("/metrics", metrics.Registry).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// The exchange's services, each built with what it uses: its settings, the store and its health,
    /// the write gate, members, the ledger and deposits, signals, contracts, the markets and what
    /// starts them; and the query classes that read the store.
    /// </summary>
    private static void AddExchangeParts(IServiceCollection services)
    {
        services.AddSingleton(s => s.GetRequiredService<IOptions<ServerOptions>>().Value);
        services.AddSingleton(s =>
        {
            var options = s.GetRequiredService<ServerOptions>();
            return Database.Open(options.Database, options.DataDirectory, options.Durable);
        });
        services.AddSingleton<StoreHealth>();
        services.AddSingleton<WriteGate>();
        services.AddSingleton<MemberDirectory>();
        services.AddSingleton<LedgerBook>();
        services.AddSingleton<Deposits>();
        services.AddSingleton<SignalLog>();
        services.AddSingleton<SignalHub>();
        services.AddSingleton<OrderIds>();
        services.AddSingleton<AnswersInFlight>();
        services.AddSingleton<ContractedCapacity>();
        services.AddSingleton<ContractBook>();
        services.AddSingleton<ITradeContracts>(s => s.GetRequiredService<ContractBook>());
        services.AddSingleton<MarketRegistry>();
        services.AddSingleton<MarketHosts>();
        services.AddSingleton<ExchangeStartup>();
        services.AddSingleton<AccountQueries>();
        services.AddSingleton<BlobQueries>();
        services.AddSingleton<BlobUploads>();
        services.AddSingleton<ContractQueries>();
        services.AddSingleton<LedgerQueries>();
        services.AddSingleton<MarketDataQueries>();
        services.AddSingleton<MemberQueries>();
        services.AddSingleton<NegotiationQueries>();
        services.AddSingleton<OrderQueries>();
        services.AddSingleton<SignalQueries>();
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Surplus.Exchange.Contracts;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// What the OpenAPI document says beyond what each route declares: the bearer key scheme and which
/// operations need it, an operation id for each, the errors every operation of a kind can answer
/// (a key refused, a body too large or of another type, the rate limit, a store that refuses
/// writes), the <c>Idempotency-Key</c> header of commands, and the closed sets of strings.
/// Rules over the routes' metadata rather than a list per route, so a new route is described as
/// truthfully as the old ones.
/// </summary>
internal static class ApiDocument
{
    /// <summary>The name of the security scheme: a member's or the operator's API key as a bearer token.</summary>
    public const string Scheme = "apiKey";

    private const string Problem = "application/problem+json";

    /// <summary>The schema every error answer has (RFC 9457).</summary>
    private const string ProblemSchema = "ProblemDetails";

    private static readonly string[] OrderStatuses = ["open", "filled", "cancelled", "expired"];
    private static readonly string[] Modes = ["standing", "spot"];
    private static readonly string[] Fills = ["divisible", "min-fill", "all-or-none"];
    private static readonly string[] Clearings = ["continuous", "call-auction"];
    private static readonly string[] Sides = ["buyer", "seller"];

    /// <summary>The closed sets of strings in bodies, by the record and the property (as serialized, camelCase).</summary>
    private static readonly Dictionary<(Type Type, string Property), string[]> BodyEnums = new()
    {
        [(typeof(PlaceOfferRequest), "mode")] = Modes,
        [(typeof(PlaceNeedRequest), "mode")] = Modes,
        [(typeof(PlaceNeedRequest), "fill")] = Fills,
        [(typeof(OfferDto), "mode")] = Modes,
        [(typeof(OfferDto), "status")] = OrderStatuses,
        [(typeof(NeedDto), "mode")] = Modes,
        [(typeof(NeedDto), "fill")] = Fills,
        [(typeof(NeedDto), "status")] = OrderStatuses,
        [(typeof(JobDto), "runtime")] = ["wasm", "process"],
        [(typeof(MarketDto), "clearing")] = Clearings,
        [(typeof(CreateMarketRequest), "clearing")] = Clearings,
        [(typeof(ChangeClearingRequest), "clearing")] = Clearings,
        [(typeof(TradeDto), "aggressor")] = ["need", "offer"],
        [(typeof(ContractDto), "status")] = [.. ContractText.Statuses],
        [(typeof(ContractDto), "role")] = ["buyer", "seller", "operator"],
        [(typeof(ContractStepDto), "from")] = [.. ContractText.Statuses],
        [(typeof(ContractStepDto), "to")] = [.. ContractText.Statuses],
        [(typeof(ContractStepDto), "by")] = ["buyer", "seller", "operator", "monitor"],
        [(typeof(FailoverDto), "state")] = ["pending", "placed", "skipped", "refused"],
        [(typeof(NegotiationDto), "role")] = Sides,
        [(typeof(NegotiationDto), "status")] = [.. NegotiationEndpoints.Statuses],
        [(typeof(NegotiationMoveDto), "by")] = Sides,
        [(typeof(LedgerEntryDto), "account")] = ["available", "held"],
        [(typeof(CandlesDto), "interval")] = [.. MarketDataEndpoints.Intervals.Keys],
    };

    /// <summary>The closed sets of strings in query parameters, by the route and the parameter.</summary>
    private static readonly Dictionary<(string Route, string Parameter), string[]> QueryEnums = new()
    {
        [("v1/offers", "status")] = OrderStatuses,
        [("v1/needs", "status")] = OrderStatuses,
        [("v1/contracts", "status")] = [.. ContractText.Statuses],
        [("v1/contracts", "role")] = Sides,
        [("v1/admin/contracts", "status")] = [.. ContractText.Statuses],
        [("v1/negotiations", "status")] = [.. NegotiationEndpoints.Statuses],
        [("v1/negotiations", "role")] = Sides,
        [("v1/markets/{id}/candles", "interval")] = [.. MarketDataEndpoints.Intervals.Keys],
    };

    /// <summary>What the statuses a route declares itself mean, where the route does not say.</summary>
    private static readonly Dictionary<string, string> GenericErrors = new()
    {
        ["402"] = "The available balance cannot hold what this needs (insufficient-funds)",
        ["404"] = "Nothing with this id, or not yours (not-found)",
        ["409"] = "The state does not allow it now: a halted market, a move out of order, an order reduced below what is sold",
        ["416"] = "The Range asked for is outside the blob",
        ["422"] = "Well-formed but not acceptable: a price off the market's tick, a reused Idempotency-Key",
    };

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer(DescribeAsync);
        options.AddOperationTransformer(CompleteAsync);
        options.AddSchemaTransformer(EnumerateAsync);
    }

    private static Task DescribeAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Surplus exchange API";
        document.Info.Description = "A marketplace for spare computing capacity: members, markets, offers, needs, trades, account and signals. "
            + "Errors are RFC 9457 problem+json with a stable type per error. Send a member's API key (from POST /v1/members) "
            + "or the operator's admin key as 'Authorization: Bearer <key>'.";
        document.Info.Contact = new OpenApiContact { Name = "The exchange's operator" };

        // The base address as the caller reached it, without the trailing slash that clients would double.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/') is { Length: > 0 } url ? url : "/";
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "API key",
            Description = "A member's API key (shown once by POST /v1/members) or, for /v1/admin routes, the operator's admin key.",
        };
        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
        {
            tag.Description ??= TagDescription(tag.Name);
        }

        return Task.CompletedTask;
    }

    private static string? TagDescription(string? tag) => tag switch
    {
        "members" => "Joining and the member's own profile",
        "markets" => "Markets and their public data: book, trades, summary, candles, capacity",
        "orders" => "Offers (asks) and needs (bids) of the calling member",
        "account" => "The calling member's balances and statement",
        "negotiations" => "Counter-prices between a buyer and the lowest-asking seller",
        "signals" => "The calling member's numbered notifications",
        "blobs" => "Content-addressed programs, data and results",
        "contracts" => "What a trade obliges, from match to settlement",
        "admin" => "The operator's routes (admin key)",
        "operations" => "Health of the server",
        _ => null,
    };

    private static async Task CompleteAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var route = description.RelativePath ?? "";
        var metadata = description.ActionDescriptor.EndpointMetadata;
        operation.OperationId ??= OperationId(description.HttpMethod ?? "GET", route);
        if (string.IsNullOrEmpty(operation.Description))
        {
            operation.Description = operation.Summary;
        }

        var keyed = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        if (keyed)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] }];
            Error(operation, context, 401, "No key, or a key the exchange does not know (unauthorized)");
            Error(operation, context, 403, "The key may not do this: a suspended member's change, a member key on an operator route, the admin key on a member's route (forbidden, member-suspended)");
        }
        else
        {
            operation.Security = [];
        }

        if (operation.RequestBody is not null)
        {
            Error(operation, context, 400, "The body is not valid: malformed JSON, wrong types, missing or unknown fields, values out of bounds");
            Error(operation, context, 413, "The body is larger than the server accepts (body-too-large)");
            Error(operation, context, 415, "The body's Content-Type is not one this operation reads");
        }

        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { In: ParameterLocation.Path })
            {
                Error(operation, context, 404, "Nothing with this id, or not yours (not-found)");
            }

            if (parameter is OpenApiParameter p)
            {
                Error(operation, context, 400, "A parameter cannot be read or is out of bounds");
                p.Description ??= p.In == ParameterLocation.Path ? "The id of the resource" : null;
                if (p.In == ParameterLocation.Query && QueryEnums.TryGetValue((route, p.Name ?? ""), out var values) && p.Schema is OpenApiSchema schema)
                {
                    schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
                }
            }
        }

        if (metadata.OfType<IdempotentMetadata>().Any())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key",
                In = ParameterLocation.Header,
                Description = "Any text of at most 200 characters (a UUID is plenty): a retry with the same key and body answers the first answer again and changes nothing",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 200 },
            });
            Error(operation, context, 400, "The Idempotency-Key is too long (idempotency-key-invalid)");
            Error(operation, context, 422, "The Idempotency-Key was used before with another request (idempotency-key-reused)");
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is OpenApiResponse r && GenericErrors.TryGetValue(status, out var text) && r.Description == ReasonPhrase(int.Parse(status, CultureInfo.InvariantCulture)))
            {
                r.Description = text;
            }
        }

        Error(operation, context, 429, "More requests of the key (or the address) open at once than it may have in flight and waiting (too-many-requests-waiting), or a batch larger than its rate-limit bucket (rate-limited); retry after Retry-After");
        Error(operation, context, 503, "The store refused the write or cannot be read; nothing was changed; retry (store-unavailable)");
        await Task.CompletedTask;
    }

    private static void Error(OpenApiOperation operation, OpenApiOperationTransformerContext context, int status, string description)
    {
        operation.Responses ??= [];
        var key = status.ToString(CultureInfo.InvariantCulture);
        if (operation.Responses.TryGetValue(key, out var existing))
        {
            if (existing is OpenApiResponse known && (string.IsNullOrEmpty(known.Description) || known.Description == ReasonPhrase(status)))
            {
                known.Description = description;
            }

            return;
        }

        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [Problem] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, context.Document) },
            },
        };
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    /// <summary>
    /// An id from the method and the route: <c>GET v1/markets/{id}/book</c> is <c>getMarketsByIdBook</c>.
    /// Unique because method and route are, and stable as long as the route is.
    /// </summary>
    internal static string OperationId(string method, string route)
    {
        var id = new StringBuilder(method.ToLowerInvariant());
        foreach (var segment in route.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == "v1")
            {
                continue;
            }

            var name = segment.StartsWith('{') ? "By-" + segment.Trim('{', '}').Split(':')[0] : segment;
            foreach (var word in name.Split('-', StringSplitOptions.RemoveEmptyEntries))
            {
                id.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
            }
        }

        return id.ToString();
    }

    private static Task EnumerateAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonPropertyInfo is { } property
            && BodyEnums.TryGetValue((property.DeclaringType, property.Name), out var values))
        {
            schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        }

        // Prices and ticks are decimals, not binary floating point: a client that reads them as doubles loses cents.
        if (context.JsonTypeInfo.Type == typeof(decimal) || context.JsonTypeInfo.Type == typeof(decimal?))
        {
            schema.Format = "decimal";
        }

        // Every problem the exchange answers has these four members (Problems.Result, Problems.WriteAsync),
        // and the values its detail is made of as extension members.
        if (context.JsonTypeInfo.Type == typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))
        {
            schema.Required = new HashSet<string> { "type", "title", "status", "detail" };
            schema.Description = "A refusal (RFC 9457): type is urn:surplus:problem:<code>; detail says what to fix. "
                + "The values the detail is made of (a bound, the value that passed it) come as extension members, "
                + "named per code in docs/api.md (Every refusal code).";
        }

        return Task.CompletedTask;
    }
}

/// <summary>Marks a command that takes an <c>Idempotency-Key</c>, so the document lists the header and its refusals.</summary>
internal sealed class IdempotentMetadata
{
    public static readonly IdempotentMetadata Instance = new();
}

/// <summary>Route builder conveniences for the document.</summary>
internal static class ApiDocumentRoutes
{
    /// <summary>This command takes an <c>Idempotency-Key</c>: a retry with the same key answers the first answer again.</summary>
    public static TBuilder Idempotent<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(IdempotentMetadata.Instance);
}

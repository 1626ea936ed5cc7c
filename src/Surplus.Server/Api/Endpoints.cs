namespace Surplus.Server.Api;

/// <summary>
/// The HTTP API: the routes under <c>/v1</c>, one class per area, and the health checks. The
/// order is the order of the OpenAPI document's paths.
/// </summary>
internal static class Endpoints
{
    public static void Map(WebApplication app)
    {
        var v1 = app.MapGroup("/v1");
        MemberEndpoints.Map(v1);
        MarketEndpoints.Map(v1);
        OrderEndpoints.Map(v1);
        AccountEndpoints.Map(v1);
        MarketDataEndpoints.Map(v1);
        NegotiationEndpoints.Map(v1);
        SignalEndpoints.Map(v1);
        AdminEndpoints.Map(v1);
        BlobEndpoints.Map(v1);
        OperationEndpoints.Map(app);
        ContractEndpoints.Map(app);
    }
}
